export { healthEndpointsLayer, type Verdict } from "./healthEndpoints.ts"
export { type Backoff, firstLineOf, retryUntilSuccess, type StartupProgress } from "./startupRetry.ts"
