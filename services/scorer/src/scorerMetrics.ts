import { rejectionRules } from "@xpscore/events"
import type { BatchFailure, CommittedBatch, ProcessorStatus, RestoredPartitionInfo } from "@xpscore/kafka"
import { Effect, Metric } from "effect"
import type { BatchStats } from "./partitionScorer.ts"

const latencyBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]

/**
 * Every metric the scorer exports (Prometheus names), defined once. Counters
 * count committed work only: a batch whose transaction aborted is processed
 * again and counted then, so after a run they equal what is on the topics.
 */
export const scorerMetrics = {
  records: Metric.counter("xpscore_scorer_records_total", {
    description: "interaction records consumed and committed (valid or not)",
    incremental: true
  }),
  applied: Metric.counter("xpscore_scorer_events_applied_total", {
    description: "events folded into a customer's state (everything but duplicates and dead letters)",
    incremental: true
  }),
  scoreRecords: Metric.counter("xpscore_scorer_score_records_total", {
    description: "records appended to the scores topic (one per valid event, duplicates included)",
    incremental: true
  }),
  deadLetters: Metric.counter("xpscore_scorer_dead_letters_total", {
    description: "records moved to the dead-letter topic, by step (decode, route) and rule",
    incremental: true
  }),
  duplicates: Metric.counter("xpscore_scorer_duplicates_total", {
    description: "events whose (source, id) was seen before within the dedup horizon: recorded, not applied",
    incremental: true
  }),
  late: Metric.counter("xpscore_scorer_late_events_total", {
    description: "events older than the allowed lateness: applied to the decayed sums only",
    incremental: true
  }),
  orphanResolutions: Metric.counter("xpscore_scorer_orphan_resolutions_total", {
    description: "issue resolutions of issues the state does not know (no score effect)",
    incremental: true
  }),
  batches: Metric.counter("xpscore_scorer_batches_total", {
    description: "transactions committed (one batch of one partition each)",
    incremental: true
  }),
  aborted: Metric.counter("xpscore_scorer_transactions_aborted_total", {
    description: "batches whose transaction failed and was aborted; the partition was restored and retried",
    incremental: true
  }),
  batchRecords: Metric.histogram("xpscore_scorer_batch_records", {
    description: "records per committed batch",
    boundaries: [1, 10, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 25_000]
  }),
  batchSeconds: Metric.histogram("xpscore_scorer_batch_seconds", {
    description: "from the start of processing a batch to its commit",
    boundaries: latencyBoundaries
  }),
  transactionSeconds: Metric.histogram("xpscore_scorer_transaction_seconds", {
    description: "from the start of a transaction to its commit (produce, offsets, commit)",
    boundaries: latencyBoundaries
  }),
  restores: Metric.counter("xpscore_scorer_restores_total", {
    description: "partitions made ready, by how: restored (read from the changelog) or kept (state still current)",
    incremental: true
  }),
  restoredCustomers: Metric.counter("xpscore_scorer_restored_customers_total", {
    description: "customer states read from the changelog",
    incremental: true
  }),
  restoreSeconds: Metric.histogram("xpscore_scorer_restore_seconds", {
    description: "time to make an assigned partition ready: fence, committed offset, changelog read",
    boundaries: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300]
  }),
  lag: Metric.gauge("xpscore_scorer_consumer_lag", {
    description: "records of an assigned partition after the committed offset, as of the last fetch"
  }),
  customers: Metric.gauge("xpscore_scorer_customers", {
    description: "customers in the state of an assigned partition"
  }),
  assignedPartitions: Metric.gauge("xpscore_scorer_assigned_partitions", {
    description: "input partitions assigned to this instance"
  }),
  readyPartitions: Metric.gauge("xpscore_scorer_ready_partitions", {
    description: "assigned partitions whose state is restored (being processed)"
  })
} as const

/** Every counter series exists from the start, at 0, so a dashboard sees it before the first event. */
export const initializeScorerMetrics = Effect.all(
  [
    ...[
      scorerMetrics.records,
      scorerMetrics.applied,
      scorerMetrics.scoreRecords,
      scorerMetrics.duplicates,
      scorerMetrics.late,
      scorerMetrics.orphanResolutions,
      scorerMetrics.batches,
      scorerMetrics.aborted,
      scorerMetrics.restoredCustomers
    ].map((counter) => Metric.update(counter, 0)),
    ...rejectionRules.map((rule) =>
      Metric.update(Metric.withAttributes(scorerMetrics.deadLetters, { step: "decode", rule }), 0)
    ),
    Metric.update(Metric.withAttributes(scorerMetrics.deadLetters, { step: "route", rule: "key-mismatch" }), 0),
    ...["restored", "kept"].map((how) => Metric.update(Metric.withAttributes(scorerMetrics.restores, { how }), 0)),
    Metric.update(scorerMetrics.assignedPartitions, 0),
    Metric.update(scorerMetrics.readyPartitions, 0)
  ],
  { discard: true }
)

export const recordCommitted = (batch: CommittedBatch<BatchStats>) =>
  Effect.all(
    [
      Metric.update(scorerMetrics.records, batch.stats.records),
      Metric.update(scorerMetrics.applied, batch.stats.applied),
      Metric.update(scorerMetrics.scoreRecords, batch.stats.scoreRecords),
      Metric.update(scorerMetrics.duplicates, batch.stats.duplicates),
      Metric.update(scorerMetrics.late, batch.stats.late),
      Metric.update(scorerMetrics.orphanResolutions, batch.stats.orphanResolutions),
      Metric.update(scorerMetrics.batches, 1),
      Metric.update(scorerMetrics.batchRecords, batch.records),
      Metric.update(scorerMetrics.batchSeconds, batch.batchMs / 1_000),
      Metric.update(scorerMetrics.transactionSeconds, batch.transactionMs / 1_000),
      Metric.update(Metric.withAttributes(scorerMetrics.lag, { partition: String(batch.partition) }), batch.lag),
      ...[...batch.stats.deadLetters].map(([stepRule, count]) => {
        const [step, rule] = stepRule.split(":") as [string, string]
        return Metric.update(Metric.withAttributes(scorerMetrics.deadLetters, { step, rule }), count)
      })
    ],
    { discard: true }
  )

export const recordRestored = (restored: RestoredPartitionInfo) =>
  Effect.all(
    [
      Metric.update(Metric.withAttributes(scorerMetrics.restores, { how: restored.kept ? "kept" : "restored" }), 1),
      Metric.update(scorerMetrics.restoredCustomers, restored.kept ? 0 : restored.keys),
      Metric.update(scorerMetrics.restoreSeconds, restored.durationMs / 1_000)
    ],
    { discard: true }
  )

export const recordBatchFailed = (_failure: BatchFailure) => Metric.update(scorerMetrics.aborted, 1)

const reportedPartitions = new Set<number>()

/** Gauges are sampled when scraped, from the processor's own bookkeeping; a partition given away reads 0. */
export const sampleGauges = (status: ProcessorStatus) =>
  Effect.gen(function* () {
    const assigned = new Set(status.partitions.map((p) => p.partition))
    for (const partition of reportedPartitions) {
      if (assigned.has(partition)) continue
      const attributes = { partition: String(partition) }
      yield* Metric.update(Metric.withAttributes(scorerMetrics.customers, attributes), 0)
      yield* Metric.update(Metric.withAttributes(scorerMetrics.lag, attributes), 0)
      reportedPartitions.delete(partition)
    }
    for (const p of status.partitions) {
      reportedPartitions.add(p.partition)
      const attributes = { partition: String(p.partition) }
      yield* Metric.update(Metric.withAttributes(scorerMetrics.customers, attributes), p.stateSize)
      if (p.lag !== undefined) yield* Metric.update(Metric.withAttributes(scorerMetrics.lag, attributes), p.lag)
    }
    yield* Metric.update(scorerMetrics.assignedPartitions, status.partitions.length)
    yield* Metric.update(scorerMetrics.readyPartitions, status.partitions.filter((p) => p.phase === "ready").length)
  })
