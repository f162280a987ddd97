import { ClickHouse, type ClickHouseError, type Row, schemaTables, sqlQualified, sqlString } from "@xpscore/clickhouse"
import { currentRegistry, decodeEvent, ScoreRecord } from "@xpscore/events"
import type { ConsumedRecord } from "@xpscore/kafka"
import { Context, Effect, Layer, Metric, Result, Schema } from "effect"
import { interactionRow, scoreHistoryRow } from "./projectionRows.ts"
import { projectorConfig } from "./projectorConfig.ts"
import { projectorMetrics } from "./projectorMetrics.ts"
import { SeqWatermarks } from "./seqWatermarks.ts"

/** A score record with the coordinates it was read from. */
interface ReadScore {
  readonly record: ScoreRecord
  readonly partition: number
  readonly offset: string
}

/** What a batch of Kafka records becomes, decoded once however often its write is retried. */
interface PreparedBatch {
  readonly interactions: ReadonlyArray<Row>
  readonly scores: ReadonlyArray<ReadScore>
}

const decodeScoreRecord = Schema.decodeUnknownResult(Schema.fromJsonString(ScoreRecord))

/** A customer-id IN list stays far below ClickHouse's 256 KiB max_query_size. */
const IN_LIST_BYTES = 64 * 1024

const chunkByBytes = (values: ReadonlyArray<string>): Array<Array<string>> => {
  const chunks: Array<Array<string>> = []
  let current: Array<string> = []
  let bytes = 0
  for (const value of values) {
    const size = Buffer.byteLength(value, "utf8") + 8
    if (current.length > 0 && bytes + size > IN_LIST_BYTES) {
      chunks.push(current)
      current = []
      bytes = 0
    }
    current.push(value)
    bytes += size
  }
  if (current.length > 0) chunks.push(current)
  return chunks
}

/**
 * Writes batches of score records and raw interactions into ClickHouse so
 * that re-delivery changes nothing:
 *
 * - interactions and score_history are keyed by the record's identity
 *   (ReplacingMergeTree), so a repeated row replaces its twin;
 * - the daily rollup's materialized view counts every inserted row, so score
 *   records at or below the customer's highest seq in ClickHouse are dropped
 *   before the insert (SeqWatermarks), and after a failed insert the marks
 *   of that batch's customers are read again from ClickHouse: an insert that
 *   failed on the client but landed on the server is then not repeated.
 *
 * Each table gets one INSERT per batch, and one INSERT is one part (no
 * PARTITION BY on score_history), so a batch lands whole or not at all.
 */
export class ProjectionWriter extends Context.Service<
  ProjectionWriter,
  {
    /** Writes one batch; idempotent. */
    readonly write: (records: ReadonlyArray<ConsumedRecord>) => Effect.Effect<void, ClickHouseError>
    /** Forgets the remembered marks (after a rebalance another member may have written meanwhile). */
    readonly forgetMarks: Effect.Effect<void>
  }
>()("@xpscore/projector/ProjectionWriter") {
  static readonly layer = Layer.effect(
    ProjectionWriter,
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      const config = yield* projectorConfig
      const database = clickhouse.target.database
      const scoreHistory = sqlQualified(database, schemaTables.scoreHistory)
      const interactions = sqlQualified(database, schemaTables.interactions)
      const marks = new SeqWatermarks(config.seqCacheSize)
      const prepared = new WeakMap<ReadonlyArray<ConsumedRecord>, PreparedBatch>()

      const skipped = (reason: string, topic: string, count = 1) =>
        Metric.update(Metric.withAttributes(projectorMetrics.skipped, { reason, topic }), count)

      const prepare = Effect.fnUntraced(function* (records: ReadonlyArray<ConsumedRecord>) {
        const known = prepared.get(records)
        if (known !== undefined) return known
        const interactionRows: Array<Row> = []
        const scores: Array<ReadScore> = []
        for (const record of records) {
          const where = { topic: record.topic, partition: record.partition, offset: record.offset }
          if (record.topic === config.topics.scores) {
            const decoded = decodeScoreRecord(record.value?.toString("utf8") ?? "")
            if (Result.isSuccess(decoded)) {
              scores.push({ record: decoded.success, partition: record.partition, offset: record.offset })
              continue
            }
            yield* skipped("undecodable", record.topic)
            yield* Effect.logError("score record does not decode; skipped").pipe(
              Effect.annotateLogs({ ...where, reason: String(decoded.failure).slice(0, 500) })
            )
          } else if (record.topic === config.topics.interactions) {
            const decoded = decodeEvent(currentRegistry, record.value ?? "")
            if (Result.isSuccess(decoded)) {
              // The scorer dead-letters an event keyed other than by its customer (step route): it
              // scored nothing, so it is no interaction of the projection either until it is re-driven.
              if (record.key !== null && record.key.toString("utf8") === decoded.success.subject) {
                interactionRows.push(interactionRow(decoded.success, record.partition, record.offset))
                continue
              }
              yield* skipped("key_mismatch", record.topic)
              yield* Effect.logDebug(
                "interaction keyed other than by its customer; skipped (the scorer dead-letters it)"
              ).pipe(Effect.annotateLogs({ ...where, customerId: decoded.success.subject }))
              continue
            }
            // The scorer dead-letters it with the reason; here it is counted, and logged at debug level only.
            yield* skipped("undecodable", record.topic)
            yield* Effect.logDebug("interaction does not decode; skipped (the scorer dead-letters it)").pipe(
              Effect.annotateLogs({ ...where, reason: decoded.failure.message })
            )
          }
        }
        const batch = { interactions: interactionRows, scores }
        prepared.set(records, batch)
        return batch
      })

      /** Reads the highest projected seq of the customers not in memory. */
      const warm = Effect.fnUntraced(function* (customerIds: ReadonlyArray<string>) {
        const unknown = [...new Set(customerIds)].filter((id) => !marks.has(id))
        for (const chunk of chunkByBytes(unknown)) {
          const rows = yield* clickhouse.query<{ customer_id: string; seq: number }>(
            `SELECT customer_id, max(seq) AS seq FROM ${scoreHistory} WHERE customer_id IN (${chunk.map(sqlString).join(", ")}) GROUP BY customer_id`
          )
          const found = new Map(rows.map((row) => [row.customer_id, Number(row.seq)]))
          for (const id of chunk) marks.raise(id, found.get(id) ?? 0)
        }
      })

      const insert = (table: string, label: string, rows: ReadonlyArray<Row>) =>
        rows.length === 0
          ? Effect.void
          : Effect.gen(function* () {
              const started = performance.now()
              yield* clickhouse.insert(table, rows)
              yield* Metric.update(projectorMetrics.insertSeconds, (performance.now() - started) / 1000)
              yield* Metric.update(Metric.withAttributes(projectorMetrics.rowsInserted, { table: label }), rows.length)
            })

      const write = Effect.fn("ProjectionWriter.write")(function* (records: ReadonlyArray<ConsumedRecord>) {
        const batch = yield* prepare(records)
        yield* warm(batch.scores.map((score) => score.record.customerId))
        // Keep each customer's records above its mark, once, in log order.
        const highest = new Map<string, number>()
        const fresh: Array<Row> = []
        let alreadyProjected = 0
        for (const { record, partition, offset } of batch.scores) {
          const mark = highest.get(record.customerId) ?? marks.get(record.customerId) ?? 0
          if (record.seq <= mark) {
            alreadyProjected += 1
            continue
          }
          if (record.seq > mark + 1) {
            yield* Metric.update(projectorMetrics.sequenceGaps, 1)
            yield* Effect.logWarning("score records are missing before this one").pipe(
              Effect.annotateLogs({ customerId: record.customerId, seq: record.seq, after: mark, partition, offset })
            )
          }
          highest.set(record.customerId, record.seq)
          fresh.push(scoreHistoryRow(record, partition, offset))
        }
        yield* insert(interactions, schemaTables.interactions, batch.interactions)
        yield* insert(scoreHistory, schemaTables.scoreHistory, fresh).pipe(
          // Whether a failed insert landed is unknown: read those marks again before the retry.
          Effect.tapError(() => Effect.sync(() => marks.forget(highest.keys())))
        )
        for (const [customerId, seq] of highest) marks.raise(customerId, seq)
        if (alreadyProjected > 0) yield* skipped("already_projected", config.topics.scores, alreadyProjected)
        yield* Metric.update(projectorMetrics.batches, 1)
      })

      return ProjectionWriter.of({ write, forgetMarks: Effect.sync(() => marks.clear()) })
    })
  )
}
