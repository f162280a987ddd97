export {
  type ApplyOutcome,
  apply,
  applyInto,
  CustomerState,
  cloneState,
  componentsOf,
  emptyState,
  latestEventTime,
  type MutableApplyOutcome,
  newOutcome,
  scoreAt
} from "./customerState.ts"
export { dedupHash } from "./dedupHash.ts"
export { type Contributor, type ExplainedTerm, type Explanation, explain } from "./explain.ts"
export { fromInteraction, uniformEvent } from "./fromInteraction.ts"
export type { RecoveryBranch } from "./impressions.ts"
export {
  compareCanonical,
  type EventKind,
  type ExpectationEvent,
  type IssueOpenedEvent,
  type IssueResolvedEvent,
  type ModelEvent,
  type SurveyEvent,
  type TouchpointEvent
} from "./modelEvent.ts"
export {
  canonicalParams,
  DAY_MS,
  defaultParams,
  HOUR_MS,
  modelVersionId,
  type Params,
  type ParamsResult,
  parseParams,
  YEAR_MS
} from "./params.ts"
export {
  neutralComponents,
  type ScoreComponents,
  type ScoreTerms,
  scoreFromComponents,
  termsFromComponents
} from "./scoreFormula.ts"
export { deserializeState, STATE_CODEC_VERSION, StateCodecError, serializeState } from "./stateCodec.ts"
