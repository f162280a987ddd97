import "../../harness/providedContext.ts"
import type { FaultInfraSettings } from "./faultInfra.ts"

/** What the fault suite's global setup hands its scenarios besides `testInfra`. */
declare module "vitest" {
  export interface ProvidedContext {
    faultInfra: FaultInfraSettings
  }
}
