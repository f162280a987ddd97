/**
 * @xpscore/scorer: the stateful, exactly-once scorer (docs/scorer.md).
 *
 * - `runScorer`: the service (`xpscore run scorer`); needs an `EventDecoder`
 *   (the registry it reads) and a scope, which it drains when closed.
 * - `scoreBatch`, `restorePartition`: the per-partition work, pure apart from
 *   the clock of dead letters, for tests and benchmarks.
 * - `scorerConfig`: the XPSCORE_SCORER_* settings; `scorerMetrics`: the
 *   Prometheus metrics.
 */
export { InvalidRatioExceeded, InvalidRatioGuard } from "./invalidRatioGuard.ts"
export {
  type BatchStats,
  type PartitionState,
  partitionScorer,
  restorePartition,
  type ScorerSetup,
  StateUnreadable,
  scoreBatch
} from "./partitionScorer.ts"
export { runScorer } from "./Scorer.ts"
export { type ScoreRecordFields, type ScoreRecordWriter, scoreFormulaOf, scoreRecordWriter } from "./scoreRecordJson.ts"
export {
  loadModelParams,
  ModelParamsInvalid,
  modelParamsConfig,
  type ScorerConfig,
  scorerConfig
} from "./scorerConfig.ts"
export { scorerMetrics } from "./scorerMetrics.ts"
