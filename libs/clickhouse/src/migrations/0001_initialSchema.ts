import { biViews, schemaMaterializedViews, schemaObjectDocs, schemaTables } from "../schemaObjects.ts"
import { nowMsSql, scoreAtSql } from "../scoreAtSql.ts"
import { sqlNumber, sqlString } from "../sqlLiteral.ts"
import { column, type Migration, type MigrationContext, qualifiedIn, tableCommentStatements } from "./migration.ts"

/*
 * Why the tables look like this (architecture.md, "Guarantees"):
 * - The projector delivers at least once. score_history and interactions are
 *   ReplacingMergeTrees keyed by the record's identity, customer_scores keeps
 *   the highest seq per customer, and every BI view reads them with FINAL, so
 *   a redelivered row never shows twice.
 * - daily_rollup_state is fed by a materialized view, which counts every row
 *   inserted into score_history; the projector therefore drops score records
 *   ClickHouse already holds before inserting (see services/projector).
 * - No PARTITION BY on score_history: one INSERT of a batch is one part, so a
 *   crash during an insert leaves all of the batch or none of it.
 * - Only the SQL common to ClickHouse 18.16 and 26.x: no DateTime64 (epoch
 *   milliseconds in Int64 beside a DateTime), no LowCardinality, no tanh.
 */

const componentColumns = [
  column("t_ref_ms", "Int64", "latest event time of the state, epoch ms: the decayed sums below are anchored here"),
  column("s_pos", "Float64", "S+: decayed sum of w·v over positive impressions (half-life h+), at t_ref"),
  column("s_neg", "Float64", "S-: decayed sum of w·v over negative impressions (half-life h-), at t_ref"),
  column("w", "Float64", "W: decayed sum of the weights (half-life h-), at t_ref"),
  column("p_pos", "Float64", "P+: decayed maximum of closed positive impressions, at t_ref"),
  column("p_neg", "Float64", "P-: decayed minimum of closed negative and open provisional impressions, at t_ref"),
  column("last_t_ms", "Int64", "time of the last impression (greatest (t, id)), epoch ms; t_ref_ms when there is none"),
  column("last_v", "Float64", "value of the last impression; 0 when there is none")
]

const formulaColumns = [
  column("half_life_pos_ms", "Float64", "h+: half-life of positive impressions, ms"),
  column("half_life_neg_ms", "Float64", "h-: half-life of negative impressions and of the weights, ms"),
  column("half_life_end_pos_ms", "Float64", "h_end+: half-life of a positive last impression, ms"),
  column("neutral_weight", "Float64", "W0: neutral weight in the denominator of the average"),
  column("weight_average", "Float64", "ω_avg: weight of the decayed average in the index"),
  column("weight_end", "Float64", "ω_end: weight of the last impression in the index"),
  column("weight_peak", "Float64", "ω_peak: weight of the remembered peaks in the index"),
  column("gain", "Float64", "g in score = 50 + 50·tanh(g·X)")
]

const componentNames = ["t_ref_ms", "s_pos", "s_neg", "w", "p_pos", "p_neg", "last_t_ms", "last_v"]
const formulaNames = [
  "half_life_pos_ms",
  "half_life_neg_ms",
  "half_life_end_pos_ms",
  "neutral_weight",
  "weight_average",
  "weight_end",
  "weight_peak",
  "gain"
]

const eventColumns = (what: string) => [
  column("event_id", "String", `CloudEvents id of the ${what}`),
  column("event_source", "String", `CloudEvents source of the ${what}`),
  column("event_type", "String", `versioned CloudEvents type of the ${what}`),
  column("event_time_ms", "Int64", `event time of the ${what}, epoch ms`)
]

const table = (name: string, columns: ReadonlyArray<string>, engine: string) =>
  `CREATE TABLE IF NOT EXISTS ${name} (\n  ${columns.join(",\n  ")}\n) ENGINE = ${engine}`

const statements = (context: MigrationContext): ReadonlyArray<string> => {
  const q = qualifiedIn(context)
  const scoreHistory = q(schemaTables.scoreHistory)
  const customerScores = q(schemaTables.customerScores)
  const rollupState = q(schemaTables.dailyRollupState)
  const thresholds = q(schemaTables.scoreThresholds)
  const interactions = q(schemaTables.interactions)

  const customerScoreNames = [
    "customer_id",
    "seq",
    "event_id",
    "event_source",
    "event_type",
    "event_time_ms",
    "channel",
    "segment",
    "score",
    "score_index",
    ...componentNames,
    ...formulaNames,
    "model_version"
  ]

  return [
    table(
      scoreHistory,
      [
        column(
          "customer_id",
          "String",
          "the customer id, exactly as producers sent it (Kafka key of the score record)"
        ),
        column("seq", "UInt64", "per-customer sequence number: 1, 2, 3, … without gaps"),
        ...eventColumns("event that caused the record"),
        column("event_time", "DateTime('UTC')", "event_time_ms in whole seconds"),
        column("event_date", "Date", "UTC calendar day of the event time"),
        column("channel", "Nullable(String)", "channel the producer reported; NULL when none"),
        column("segment", "Nullable(String)", "customer segment the producer reported; NULL when none"),
        column("score", "Float64", "score (0–100) right after the event, at t_ref"),
        column("previous_score", "Float64", "score of the customer's previous record; 50 before the first"),
        column("score_index", "Float64", "index X behind score"),
        column("impression", "Nullable(Float64)", "impression v of the event; NULL when it contributed none"),
        column(
          "recovery",
          "Nullable(String)",
          "recovery branch of an issue resolution: paradox, partial, doubleDeviation"
        ),
        column("late", "UInt8", "1 when the event was older than the allowed lateness"),
        column("duplicate", "UInt8", "1 when the event's (source, id) had been seen before: not applied"),
        column("orphan_resolution", "UInt8", "1 when the event resolved an issue the state did not know"),
        ...componentColumns,
        ...formulaColumns,
        column("model_version", "String", "version id of the model parameters"),
        column("kafka_partition", "UInt32", "partition of the scores topic the record came from"),
        column("kafka_offset", "UInt64", "offset of the record in that partition")
      ],
      "ReplacingMergeTree ORDER BY (customer_id, seq)"
    ),
    table(
      customerScores,
      [
        column("customer_id", "String", "the customer id"),
        column("seq", "UInt64", "sequence number of the customer's latest record: the row with the highest wins"),
        ...eventColumns("customer's latest event"),
        column("channel", "Nullable(String)", "channel of the latest event; NULL when none"),
        column("segment", "Nullable(String)", "customer segment of the latest event; NULL when none"),
        column("score", "Float64", "score right after the latest event, at t_ref"),
        column("score_index", "Float64", "index X behind score"),
        ...componentColumns,
        ...formulaColumns,
        column("model_version", "String", "version id of the model parameters")
      ],
      "ReplacingMergeTree(seq) ORDER BY customer_id"
    ),
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(schemaMaterializedViews.customerScores)} TO ${customerScores} AS SELECT ${customerScoreNames.join(", ")} FROM ${scoreHistory}`,
    table(
      rollupState,
      [
        column("day", "Date", "UTC calendar day of the event time"),
        column("event_source", "String", "CloudEvents source"),
        column("channel", "String", "channel; empty string when none"),
        column("segment", "String", "customer segment; empty string when none"),
        column("events_state", "AggregateFunction(countIf, UInt8)", "partial count of applied events"),
        column("duplicates_state", "AggregateFunction(countIf, UInt8)", "partial count of duplicates"),
        column("late_events_state", "AggregateFunction(countIf, UInt8)", "partial count of late events"),
        column("negative_moments_state", "AggregateFunction(countIf, UInt8)", "partial count of negative impressions"),
        column(
          "recoveries_state",
          "AggregateFunction(countIf, UInt8)",
          "partial count of paradox or partial recoveries"
        ),
        column("recovery_paradoxes_state", "AggregateFunction(countIf, UInt8)", "partial count of paradox recoveries"),
        column("double_deviations_state", "AggregateFunction(countIf, UInt8)", "partial count of double deviations"),
        column("active_customers_state", "AggregateFunction(uniqExact, String)", "partial set of customers"),
        column("score_sum_state", "AggregateFunction(sumIf, Float64, UInt8)", "partial sum of scores of applied events")
      ],
      "AggregatingMergeTree ORDER BY (day, event_source, channel, segment)"
    ),
    `CREATE MATERIALIZED VIEW IF NOT EXISTS ${q(schemaMaterializedViews.dailyRollup)} TO ${rollupState} AS SELECT
  event_date AS day,
  event_source,
  ifNull(channel, '') AS channel,
  ifNull(segment, '') AS segment,
  countIfState(duplicate = 0) AS events_state,
  countIfState(duplicate = 1) AS duplicates_state,
  countIfState(late = 1) AS late_events_state,
  countIfState(ifNull(impression, 0) < 0) AS negative_moments_state,
  countIfState(ifNull(recovery, '') IN ('paradox', 'partial')) AS recoveries_state,
  countIfState(ifNull(recovery, '') = 'paradox') AS recovery_paradoxes_state,
  countIfState(ifNull(recovery, '') = 'doubleDeviation') AS double_deviations_state,
  uniqExactState(customer_id) AS active_customers_state,
  sumIfState(score, duplicate = 0) AS score_sum_state
FROM ${scoreHistory}
GROUP BY day, event_source, channel, segment`,
    table(
      thresholds,
      [
        column("name", "String", "a name for the threshold, shown in v_score_crossings"),
        column("threshold", "Float64", "a score value (0–100); one row per value")
      ],
      "ReplacingMergeTree ORDER BY threshold"
    ),
    `INSERT INTO ${thresholds} (name, threshold) VALUES ${defaultThresholds
      .map(([name, value]) => `(${sqlString(name)}, ${sqlNumber(value)})`)
      .join(", ")}`,
    table(
      interactions,
      [
        column("event_source", "String", "CloudEvents source: the producing service"),
        column("event_id", "String", "CloudEvents id, unique per source"),
        column("event_type", "String", "versioned CloudEvents type"),
        column("customer_id", "String", "CloudEvents subject: the customer"),
        column("event_time_ms", "Int64", "event time, epoch ms"),
        column("event_time", "DateTime('UTC')", "event time in whole seconds"),
        column("event_date", "Date", "UTC calendar day of the event time"),
        column("channel", "Nullable(String)", "channel extension attribute; NULL when absent"),
        column("segment", "Nullable(String)", "segment extension attribute; NULL when absent"),
        column("data", "String", "the event's data as JSON"),
        column("kafka_partition", "UInt32", "partition of the interactions topic"),
        column("kafka_offset", "UInt64", "offset in that partition")
      ],
      "ReplacingMergeTree ORDER BY (event_source, event_id)"
    ),
    `CREATE VIEW IF NOT EXISTS ${q(biViews.currentScores)} AS ${currentScoresSelect(context.database, nowMsSql)}`,
    `CREATE VIEW IF NOT EXISTS ${q(biViews.scoreHistory)} AS SELECT
  customer_id, seq, event_id, event_source, event_type, event_time_ms, event_time, event_date, channel, segment,
  score, previous_score, score_index, impression, recovery, late, duplicate, orphan_resolution, t_ref_ms, model_version
FROM ${scoreHistory} FINAL`,
    `CREATE VIEW IF NOT EXISTS ${q(biViews.dailyRollups)} AS SELECT
  day,
  event_source,
  channel,
  segment,
  countIfMerge(events_state) AS events,
  countIfMerge(negative_moments_state) AS negative_moments,
  countIfMerge(recoveries_state) AS recoveries,
  countIfMerge(recovery_paradoxes_state) AS recovery_paradoxes,
  countIfMerge(double_deviations_state) AS double_deviations,
  countIfMerge(late_events_state) AS late_events,
  countIfMerge(duplicates_state) AS duplicates,
  uniqExactMerge(active_customers_state) AS active_customers,
  if(events = 0, NULL, score_sum / events) AS average_score,
  sumIfMerge(score_sum_state) AS score_sum
FROM ${rollupState}
GROUP BY day, event_source, channel, segment`,
    `CREATE VIEW IF NOT EXISTS ${q(biViews.scoreCrossings)} AS SELECT
  h.customer_id AS customer_id,
  h.seq AS seq,
  h.event_id AS event_id,
  h.event_source AS event_source,
  h.event_time_ms AS event_time_ms,
  h.event_time AS event_time,
  h.event_date AS event_date,
  t.name AS threshold_name,
  t.threshold AS threshold,
  if(h.score < t.threshold, 'down', 'up') AS direction,
  h.previous_score AS previous_score,
  h.score AS score,
  h.segment AS segment,
  h.channel AS channel
FROM (
  SELECT customer_id, seq, event_id, event_source, event_time_ms, event_time, event_date, previous_score, score, segment, channel
  FROM ${scoreHistory} FINAL
) AS h
CROSS JOIN (SELECT name, threshold FROM ${thresholds} FINAL) AS t
WHERE (h.previous_score >= t.threshold AND h.score < t.threshold)
   OR (h.previous_score < t.threshold AND h.score >= t.threshold)`,
    `CREATE VIEW IF NOT EXISTS ${q(biViews.interactions)} AS SELECT
  event_source, event_id, event_type, customer_id, event_time_ms, event_time, event_date, channel, segment, data
FROM ${interactions} FINAL`,
    ...tableCommentStatements(
      context,
      schemaObjectDocs.filter((doc) => doc.kind === "table").map((doc) => [doc.name, doc.description] as const)
    )
  ]
}

/** The thresholds v_score_crossings starts with: the neutral line and a band either side. */
const defaultThresholds: ReadonlyArray<readonly [string, number]> = [
  ["at risk", 30],
  ["neutral", 50],
  ["delighted", 70]
]

/**
 * The SELECT behind v_current_scores, with the query time as a parameter so
 * that tests can evaluate the very same SQL at a fixed time. The view binds
 * it to now(); changing this text needs a new migration that recreates the view.
 */
export const currentScoresSelect = (database: string, asOfMs: string): string => {
  const customerScores = qualifiedIn({ database, tableComments: false })(schemaTables.customerScores)
  return `SELECT
  customer_id,
  ${scoreAtSql("as_of_ms")} AS score,
  as_of_ms,
  toDateTime(intDiv(as_of_ms, 1000), 'UTC') AS as_of,
  score_at_last_event,
  index_at_last_event,
  records,
  last_event_id,
  last_event_source,
  last_event_type,
  last_event_time_ms,
  toDateTime(intDiv(last_event_time_ms, 1000), 'UTC') AS last_event_time,
  t_ref_ms,
  channel,
  segment,
  model_version
FROM (
  SELECT
    customer_id,
    toInt64(${asOfMs}) AS as_of_ms,
    score AS score_at_last_event,
    score_index AS index_at_last_event,
    seq AS records,
    event_id AS last_event_id,
    event_source AS last_event_source,
    event_type AS last_event_type,
    event_time_ms AS last_event_time_ms,
    ${[...componentNames, ...formulaNames].join(", ")},
    channel,
    segment,
    model_version
  FROM ${customerScores} FINAL
)`
}

export const initialSchema: Migration = { version: 1, name: "initial schema", statements }
