import { biViews, ClickHouse, sqlQualified, sqlString } from "@xpscore/clickhouse"
import { murmur2, readChangelog, type TopicNames } from "@xpscore/kafka"
import { type CustomerState, deserializeState, type Explanation, explain, type Params } from "@xpscore/scoring"
import { Effect, Schema } from "effect"
import type { Kafka } from "kafkajs"
import { adminCall, withAdmin } from "./kafkaAdmin.ts"

/** One score record of the customer: an event as the scorer applied it. */
export interface ScoredEvent {
  readonly seq: number
  readonly eventId: string
  readonly source: string
  readonly type: string
  readonly timeMs: number
  readonly channel: string | null
  readonly score: number
  readonly previousScore: number
  readonly impression: number | null
  readonly recovery: string | null
  readonly late: boolean
  readonly duplicate: boolean
  readonly orphanResolution: boolean
  /** the state's latest event time after this record: where the score was computed */
  readonly tRefMs: number
  readonly modelVersion: string
}

/** Where the explained state came from. */
export interface StateSource {
  readonly topic: string
  readonly partition: number
  /** the input offset the state reflects (the changelog record's header) */
  readonly inputOffset: string | undefined
  readonly customersInPartition: number
}

export interface CustomerInspection {
  readonly customerId: string
  readonly database: string
  readonly events: ReadonlyArray<ScoredEvent>
  readonly interactions: number
  readonly current: { readonly score: number; readonly asOfMs: number; readonly modelVersion: string } | undefined
  readonly state: StateSource | undefined
  readonly explanation: Explanation | undefined
}

export class CustomerUnknown extends Schema.TaggedError<CustomerUnknown>()("CustomerUnknown", {
  customerId: Schema.String,
  database: Schema.String,
  changelog: Schema.String
}) {
  override get message() {
    return `no score records for customer ${JSON.stringify(this.customerId)} in database ${this.database}, and no state in ${this.changelog}: ids are case-sensitive; XPSCORE_CLICKHOUSE_DATABASE and XPSCORE_TOPIC_PREFIX choose where to look`
  }
}

type HistoryRow = {
  readonly seq: number
  readonly event_id: string
  readonly event_source: string
  readonly event_type: string
  readonly event_time_ms: number
  readonly channel: string | null
  readonly score: number
  readonly previous_score: number
  readonly impression: number | null
  readonly recovery: string | null
  readonly late: number
  readonly duplicate: number
  readonly orphan_resolution: number
  readonly t_ref_ms: number
  readonly model_version: string
}

/** The customer's score records and current score, from the BI views. */
export const customerHistory = (database: string, customerId: string) =>
  Effect.gen(function* () {
    const clickhouse = yield* ClickHouse
    const customer = sqlString(customerId)
    const rows = yield* clickhouse.query<HistoryRow>(
      `SELECT seq, event_id, event_source, event_type, event_time_ms, channel, score, previous_score, impression, recovery, late, duplicate, orphan_resolution, t_ref_ms, model_version FROM ${sqlQualified(database, biViews.scoreHistory)} WHERE customer_id = ${customer} ORDER BY seq`
    )
    const [interactions] = yield* clickhouse.query<{ n: number }>(
      `SELECT count() AS n FROM ${sqlQualified(database, biViews.interactions)} WHERE customer_id = ${customer}`
    )
    const [current] = yield* clickhouse.query<{ score: number; as_of_ms: number; model_version: string }>(
      `SELECT score, as_of_ms, model_version FROM ${sqlQualified(database, biViews.currentScores)} WHERE customer_id = ${customer}`
    )
    const events = rows.map(
      (row): ScoredEvent => ({
        seq: Number(row.seq),
        eventId: row.event_id,
        source: row.event_source,
        type: row.event_type,
        timeMs: Number(row.event_time_ms),
        channel: row.channel,
        score: Number(row.score),
        previousScore: Number(row.previous_score),
        impression: row.impression === null ? null : Number(row.impression),
        recovery: row.recovery,
        late: Number(row.late) === 1,
        duplicate: Number(row.duplicate) === 1,
        orphanResolution: Number(row.orphan_resolution) === 1,
        tRefMs: Number(row.t_ref_ms),
        modelVersion: row.model_version
      })
    )
    return {
      events,
      interactions: Number(interactions?.n ?? 0),
      current:
        current === undefined
          ? undefined
          : { score: Number(current.score), asOfMs: Number(current.as_of_ms), modelVersion: current.model_version }
    }
  })

/**
 * The changelog partition holding a customer's state: the scorer's
 * partition of the customer's interactions (the changelog is co-partitioned
 * with them, and producers partition by murmur2 of the key).
 */
export const statePartition = (customerId: string, partitions: number) =>
  (murmur2(Buffer.from(customerId, "utf8")) & 0x7fffffff) % partitions

/** The customer's latest state, read from its changelog partition. */
export const customerState = (kafka: Kafka, topics: TopicNames, customerId: string) =>
  Effect.gen(function* () {
    const metadata = yield* withAdmin(kafka, (admin) =>
      adminCall(`read the metadata of ${topics.scorerState}`, () =>
        admin.fetchTopicMetadata({ topics: [topics.scorerState] })
      )
    )
    const partitions = metadata.topics[0]?.partitions.length ?? 0
    if (partitions === 0) return undefined
    const partition = statePartition(customerId, partitions)
    const [restored] = yield* readChangelog({
      kafka,
      topic: topics.scorerState,
      partitions: [partition],
      groupIdPrefix: "xpscore-inspect",
      stallTimeoutMs: 30_000
    })
    const entry = restored?.entries.get(customerId)
    if (entry === undefined || restored === undefined) return undefined
    return {
      state: deserializeState(entry.value) as CustomerState,
      source: {
        topic: topics.scorerState,
        partition,
        inputOffset: entry.inputOffset?.toString(),
        customersInPartition: restored.entries.size
      } satisfies StateSource
    }
  })

/** Everything `xpscore inspect` shows about one customer. */
export const inspectCustomer = (options: {
  readonly kafka: Kafka
  readonly topics: TopicNames
  readonly database: string
  readonly customerId: string
  readonly params: Params
  readonly atMs: number
  readonly contributors: number
}) =>
  Effect.gen(function* () {
    const history = yield* customerHistory(options.database, options.customerId)
    const state = yield* customerState(options.kafka, options.topics, options.customerId)
    if (history.events.length === 0 && state === undefined) {
      return yield* new CustomerUnknown({
        customerId: options.customerId,
        database: options.database,
        changelog: options.topics.scorerState
      })
    }
    return {
      customerId: options.customerId,
      database: options.database,
      events: history.events,
      interactions: history.interactions,
      current: history.current,
      state: state?.source,
      explanation:
        state === undefined ? undefined : explain(state.state, options.atMs, options.params, options.contributors)
    } satisfies CustomerInspection
  })
