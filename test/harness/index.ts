export type { InfraSource, TestInfra } from "./providedContext.ts"
export {
  biServerTarget,
  bothClickHouseModes,
  embeddedTarget,
  serverTarget,
  testInfra,
  testKafkaBrokers,
  uniqueSuffix
} from "./testTargets.ts"
