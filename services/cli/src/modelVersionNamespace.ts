import { modelVersionTopicNames, type TopicNames } from "@xpscore/kafka"

/**
 * Where a candidate model version lives beside the deployment (`xpscore
 * replay --model-version`): its own topics (libs/kafka topics.ts), consumer
 * groups and ClickHouse database, all named after its label, so that
 * re-scoring into it changes nothing that exists. The label is the model
 * version id (`m1-0123456789ab`) unless the operator gives one.
 */
export interface CandidateNamespace {
  readonly label: string
  readonly topics: TopicNames
  readonly scorerGroup: string
  readonly projectorGroup: string
  readonly database: string
}

export const candidateNamespace = (prefix: string, database: string, label: string): CandidateNamespace => ({
  label,
  topics: modelVersionTopicNames(prefix, label),
  scorerGroup: `${prefix}scorer.${label}`,
  projectorGroup: `${prefix}projector.${label}`,
  // database names are identifiers: the label's dashes become underscores
  database: `${database}_${label.replace(/-/g, "_")}`
})

/** The label of a candidate's scorer group (`<prefix>scorer.<label>`), or undefined for any other group. */
export const candidateLabelOfScorerGroup = (prefix: string, groupId: string): string | undefined => {
  const head = `${prefix}scorer.`
  if (!groupId.startsWith(head)) return undefined
  const label = groupId.slice(head.length)
  return /^[A-Za-z0-9_-]{1,40}$/.test(label) ? label : undefined
}

/** The settings that run services on the candidate's namespace. */
export const candidateSettings = (candidate: CandidateNamespace, paramsFile: string) => ({
  XPSCORE_TOPIC_MODEL_VERSION: candidate.label,
  XPSCORE_SCORER_GROUP_ID: candidate.scorerGroup,
  XPSCORE_PROJECTOR_GROUP_ID: candidate.projectorGroup,
  XPSCORE_CLICKHOUSE_DATABASE: candidate.database,
  XPSCORE_MODEL_PARAMS: paramsFile
})
