import { Effect, Metric } from "effect"

/** Every metric the projector exports (Prometheus names), defined once. */
export const projectorMetrics = {
  rowsInserted: Metric.counter("xpscore_projector_rows_inserted_total", {
    description: "rows inserted into ClickHouse, by table",
    incremental: true
  }),
  batches: Metric.counter("xpscore_projector_batches_total", {
    description: "batches written to ClickHouse and committed to Kafka",
    incremental: true
  }),
  insertSeconds: Metric.histogram("xpscore_projector_insert_seconds", {
    description: "latency of one INSERT into ClickHouse",
    boundaries: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
  }),
  retries: Metric.counter("xpscore_projector_write_retries_total", {
    description: "failed batch writes that were retried (partitions paused meanwhile)",
    incremental: true
  }),
  errors: Metric.counter("xpscore_projector_errors_total", {
    description: "errors, by kind: clickhouse (a failed write or look-up), commit (offsets not committed)",
    incremental: true
  }),
  skipped: Metric.counter("xpscore_projector_records_skipped_total", {
    description:
      "records not inserted, by reason: already_projected (a re-delivered score record), undecodable (counted, not stored), key_mismatch (an interaction whose key is not its customer id: the scorer dead-letters it)",
    incremental: true
  }),
  sequenceGaps: Metric.counter("xpscore_projector_sequence_gaps_total", {
    description: "score records whose seq skipped numbers after the highest projected one (records missing upstream)",
    incremental: true
  }),
  lag: Metric.gauge("xpscore_projector_consumer_lag", {
    description: "records between the committed offset and the high watermark, by topic and partition"
  }),
  paused: Metric.gauge("xpscore_projector_paused", {
    description: "1 while fetching is paused (backpressure or failing writes)"
  })
} as const

/**
 * Sets every counter to zero with the labels it will carry, so that
 * Prometheus sees each series from the first scrape (rate() needs a start).
 */
export const initializeProjectorMetrics = (topics: { readonly scores: string; readonly interactions: string }) =>
  Effect.all(
    [
      ...["score_history", "interactions"].map((table) =>
        Metric.update(Metric.withAttributes(projectorMetrics.rowsInserted, { table }), 0)
      ),
      Metric.update(projectorMetrics.batches, 0),
      Metric.update(projectorMetrics.retries, 0),
      Metric.update(projectorMetrics.sequenceGaps, 0),
      Metric.update(projectorMetrics.paused, 0),
      ...["clickhouse", "commit"].map((kind) =>
        Metric.update(Metric.withAttributes(projectorMetrics.errors, { kind }), 0)
      ),
      Metric.update(
        Metric.withAttributes(projectorMetrics.skipped, { reason: "already_projected", topic: topics.scores }),
        0
      ),
      ...[topics.scores, topics.interactions].map((topic) =>
        Metric.update(Metric.withAttributes(projectorMetrics.skipped, { reason: "undecodable", topic }), 0)
      ),
      Metric.update(
        Metric.withAttributes(projectorMetrics.skipped, { reason: "key_mismatch", topic: topics.interactions }),
        0
      )
    ],
    { discard: true }
  )
