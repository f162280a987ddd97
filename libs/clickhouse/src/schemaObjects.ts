/**
 * Every table and view xpscore keeps in ClickHouse: its name (the one place
 * names are spelled) and what it is for. Migrations, the projector, the data
 * dictionary and the docs read names and descriptions from here.
 *
 * BI tools read the `v_*` views; the tables behind them are storage and may
 * hold duplicates until ClickHouse merges parts.
 */
export const schemaTables = {
  migrations: "schema_migrations",
  interactions: "interactions",
  scoreHistory: "score_history",
  customerScores: "customer_scores",
  dailyRollupState: "daily_rollup_state",
  scoreThresholds: "score_thresholds"
} as const

export const schemaMaterializedViews = {
  customerScores: "customer_scores_mv",
  dailyRollup: "daily_rollup_mv"
} as const

export const biViews = {
  currentScores: "v_current_scores",
  scoreHistory: "v_score_history",
  dailyRollups: "v_daily_rollups",
  scoreCrossings: "v_score_crossings",
  interactions: "v_interactions"
} as const

export type SchemaObjectKind = "table" | "materialized view" | "view"

export interface SchemaObjectDoc {
  readonly name: string
  readonly kind: SchemaObjectKind
  /** who reads it */
  readonly audience: "BI" | "xpscore"
  readonly description: string
  /**
   * Columns of views, described here because ClickHouse keeps no column
   * comments for views; table columns carry COMMENTs in their DDL instead.
   */
  readonly columns?: Readonly<Record<string, string>>
}

const currentScoreColumns = {
  customer_id: "the customer id, exactly as producers sent it",
  score: "the score (0–100, 50 neutral) decayed to as_of: the closed formula of the last state evaluated at as_of",
  as_of_ms: "the query time the score is computed for, epoch milliseconds (now(), whole seconds)",
  as_of: "as_of_ms as a UTC DateTime",
  score_at_last_event: "the score right after the customer's latest event (at t_ref)",
  index_at_last_event: "the index X behind score_at_last_event (score = 50 + 50·tanh(g·X))",
  records: "how many score records the customer has (the sequence number of the latest one)",
  last_event_id: "id of the customer's latest event (CloudEvents id)",
  last_event_source: "source of the customer's latest event (CloudEvents source)",
  last_event_type: "type of the customer's latest event (versioned CloudEvents type)",
  last_event_time_ms: "event time of the customer's latest record, epoch milliseconds",
  last_event_time: "last_event_time_ms as a UTC DateTime",
  t_ref_ms: "latest event time in the customer's state, epoch milliseconds: decay to as_of starts here",
  channel: "channel of the latest event, NULL when the producer sent none",
  segment: "customer segment of the latest event, NULL when the producer sent none",
  model_version: "version id of the model parameters that computed the state"
}

const historyColumns = {
  customer_id: "the customer id, exactly as producers sent it",
  seq: "per-customer sequence number of the record: 1, 2, 3, … without gaps",
  event_id: "id of the event that caused the record (CloudEvents id)",
  event_source: "source of the event (CloudEvents source)",
  event_type: "type of the event (versioned CloudEvents type)",
  event_time_ms: "event time, epoch milliseconds",
  event_time: "event_time_ms as a UTC DateTime (whole seconds)",
  event_date: "UTC calendar day of the event time",
  channel: "channel the producer reported, NULL when none",
  segment: "customer segment the producer reported, NULL when none",
  score: "the score (0–100) right after this event, at the customer's t_ref",
  previous_score: "the score of the customer's previous record (50 before the first)",
  score_index: "the index X behind score",
  impression: "the impression v this event contributed (negative = bad); NULL when it contributed none",
  recovery: "for an issue resolution: paradox, partial or doubleDeviation; NULL otherwise",
  late: "1 when the event was older than the allowed lateness (entered the decayed sums only)",
  duplicate: "1 when the same (source, id) had been seen before: not applied",
  orphan_resolution: "1 when the event resolved an issue the state did not know: no score effect",
  t_ref_ms: "latest event time of the state after this event, epoch milliseconds",
  model_version: "version id of the model parameters"
}

export const schemaObjectDocs: ReadonlyArray<SchemaObjectDoc> = [
  {
    name: biViews.currentScores,
    kind: "view",
    audience: "BI",
    description:
      "One row per customer: the current score as of the query time (decayed from the customer's last state " +
      "without the scorer emitting updates), with the latest event and its undecayed score.",
    columns: currentScoreColumns
  },
  {
    name: biViews.scoreHistory,
    kind: "view",
    audience: "BI",
    description:
      "Every score change, one row per (customer, seq), never duplicated: what each event did to the customer's score.",
    columns: historyColumns
  },
  {
    name: biViews.dailyRollups,
    kind: "view",
    audience: "BI",
    description:
      "Per UTC day of the event time, event source, channel and segment: counts of events, negative moments, " +
      "recoveries, active customers and the average score after the events. Sum the counts to roll up further; " +
      "average with score_sum / events.",
    columns: {
      day: "UTC calendar day of the event time",
      event_source: "source of the events (CloudEvents source)",
      channel: "channel of the events; empty string when the producer sent none",
      segment: "customer segment of the events; empty string when the producer sent none",
      events: "events applied to a score (duplicates excluded)",
      negative_moments: "events with a negative impression (a bad moment for the customer)",
      recoveries: "issue resolutions that restored the customer (recovery paradox or partial restoration)",
      recovery_paradoxes: "issue resolutions that took the recovery-paradox branch",
      double_deviations: "issue resolutions that made things worse (double deviation)",
      late_events: "events older than the allowed lateness (counted in events)",
      duplicates: "redelivered producer duplicates (not in events)",
      active_customers: "distinct customers with at least one event (not additive across rows)",
      average_score: "average of the score right after each event",
      score_sum: "sum of the score right after each event (score_sum / events re-aggregates average_score)"
    }
  },
  {
    name: biViews.scoreCrossings,
    kind: "view",
    audience: "BI",
    description:
      "Score records whose score crossed a threshold of score_thresholds, with the direction: filter event_time " +
      "to find the customers whose score crossed a threshold in a period. Crossings happen at events; the slow " +
      "drift of a score toward 50 between events is not listed.",
    columns: {
      customer_id: "the customer id",
      seq: "sequence number of the record whose event made the crossing",
      event_id: "id of the event that made the crossing",
      event_source: "source of that event",
      event_time_ms: "event time, epoch milliseconds",
      event_time: "event time as a UTC DateTime",
      event_date: "UTC day of the event time",
      threshold_name: "name of the threshold crossed (from score_thresholds)",
      threshold: "the threshold value",
      direction: "down: previous_score ≥ threshold > score; up: previous_score < threshold ≤ score",
      previous_score: "the score before the event",
      score: "the score after the event",
      segment: "customer segment of the event, NULL when none",
      channel: "channel of the event, NULL when none"
    }
  },
  {
    name: biViews.interactions,
    kind: "view",
    audience: "BI",
    description:
      "Every interaction event that reached the interactions topic and decoded, once per (source, id), with its payload as JSON.",
    columns: {
      event_source: "CloudEvents source of the producing service",
      event_id: "CloudEvents id, unique per source",
      event_type: "versioned CloudEvents type",
      customer_id: "the customer the event is about",
      event_time_ms: "event time, epoch milliseconds",
      event_time: "event time as a UTC DateTime",
      event_date: "UTC day of the event time",
      channel: "channel extension attribute, NULL when absent",
      segment: "segment extension attribute, NULL when absent",
      data: "the event's data (payload) as JSON text"
    }
  },
  {
    name: schemaTables.scoreHistory,
    kind: "table",
    audience: "xpscore",
    description:
      "Storage of every score record, keyed by (customer_id, seq): ReplacingMergeTree, so a re-inserted record " +
      "replaces its twin. Every insert feeds customer_scores_mv and daily_rollup_mv."
  },
  {
    name: schemaTables.customerScores,
    kind: "table",
    audience: "xpscore",
    description:
      "Latest state per customer with the stored components of the closed score formula: " +
      "ReplacingMergeTree(seq) keyed by customer_id, read with FINAL."
  },
  {
    name: schemaTables.dailyRollupState,
    kind: "table",
    audience: "xpscore",
    description:
      "Partial aggregates (AggregatingMergeTree) per day, source, channel and segment, written by daily_rollup_mv; " +
      "read through v_daily_rollups, which finishes the -Merge combinators."
  },
  {
    name: schemaTables.interactions,
    kind: "table",
    audience: "xpscore",
    description: "Raw interaction events keyed by (event_source, event_id): ReplacingMergeTree, read with FINAL."
  },
  {
    name: schemaTables.scoreThresholds,
    kind: "table",
    audience: "BI",
    description:
      "Named score thresholds that v_score_crossings checks; an operator may add rows (one row per threshold value)."
  },
  {
    name: schemaTables.migrations,
    kind: "table",
    audience: "xpscore",
    description: "Applied schema migrations: version, name, checksum of the statements and when they ran."
  },
  {
    name: schemaMaterializedViews.customerScores,
    kind: "materialized view",
    audience: "xpscore",
    description: "Copies each inserted score_history row into customer_scores."
  },
  {
    name: schemaMaterializedViews.dailyRollup,
    kind: "materialized view",
    audience: "xpscore",
    description:
      "Aggregates each insert into score_history into daily_rollup_state. It counts every row it sees, which is " +
      "why the projector never inserts a score record that ClickHouse already holds."
  }
]
