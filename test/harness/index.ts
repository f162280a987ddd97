export { failureText, parseConfig } from "./configFromEnv.ts"
export type { InfraSource, TestInfra } from "./providedContext.ts"
export {
  biServerTarget,
  bothClickHouseModes,
  embeddedTarget,
  serverTarget,
  temporaryFolder,
  testInfra,
  testKafkaBrokers,
  uniqueSuffix
} from "./testTargets.ts"
