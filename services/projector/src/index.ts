export { ProjectionWriter } from "./ProjectionWriter.ts"
export { runProjector } from "./Projector.ts"
export { interactionRow, scoreHistoryRow } from "./projectionRows.ts"
export { type ProjectorConfig, projectorConfig } from "./projectorConfig.ts"
export {
  liveness,
  makeProjectorHealth,
  type ProjectorHealth,
  projectorHealthEndpoints,
  readiness
} from "./projectorHealth.ts"
export { projectorMetrics } from "./projectorMetrics.ts"
export { SeqWatermarks } from "./seqWatermarks.ts"
