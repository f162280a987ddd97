import { ClickHouse, migrate } from "@xpscore/clickhouse"
import { ensureTopics, kafkaClient, startBatchConsumer, topicLayoutConfig, topicSpecs } from "@xpscore/kafka"
import { retryUntilSuccess } from "@xpscore/service"
import { Config, Effect, Layer, Metric, type Scope } from "effect"
import { ProjectionWriter } from "./ProjectionWriter.ts"
import { projectorConfig } from "./projectorConfig.ts"
import { makeProjectorHealth, projectorHealthEndpoints } from "./projectorHealth.ts"
import { initializeProjectorMetrics, projectorMetrics } from "./projectorMetrics.ts"

/**
 * The projector: migrates the ClickHouse schema (waiting for ClickHouse if
 * need be), makes sure the topics exist, then consumes the scores and
 * interactions topics in batches into ClickHouse with at-least-once delivery
 * made idempotent by ProjectionWriter. Serves /healthz, /readyz and /metrics
 * from the start. Runs until interrupted (SIGTERM under NodeRuntime.runMain),
 * then drains: flush, commit, leave the group. Fails only when the Kafka
 * client gives up for good.
 */
export const runProjector: Effect.Effect<never, unknown, ClickHouse | Scope.Scope> = Effect.gen(function* () {
  const config = yield* projectorConfig
  const httpHost = yield* Config.String("XPSCORE_PROJECTOR_HTTP_HOST").pipe(Config.withDefault("0.0.0.0"))
  const health = makeProjectorHealth()
  yield* initializeProjectorMetrics(config.topics)
  yield* Layer.build(
    projectorHealthEndpoints(health, { host: httpHost, port: config.httpPort, stallMs: config.stallMs })
  )

  const clickhouse = yield* ClickHouse
  const plan = yield* retryUntilSuccess("migrating the ClickHouse schema", migrate, config, health)
  yield* Effect.logInfo("ClickHouse schema ready").pipe(
    Effect.annotateLogs({
      database: clickhouse.target.database,
      mode: clickhouse.target.mode,
      serverVersion: plan.serverVersion,
      applied: plan.pending.map((m) => m.version).join(",") || "none"
    })
  )

  const kafka = yield* kafkaClient("xpscore-projector")
  const layout = yield* topicLayoutConfig
  yield* retryUntilSuccess(
    "making sure the Kafka topics exist",
    ensureTopics(kafka, topicSpecs(layout)),
    config,
    health
  )

  const writer = yield* ProjectionWriter
  const topics = [config.topics.scores, config.topics.interactions]
  const consumer = yield* retryUntilSuccess(
    "joining the consumer group",
    startBatchConsumer({
      kafka,
      groupId: config.groupId,
      topics,
      fromBeginning: true,
      maxBatchRows: config.batchRows,
      maxBatchMs: config.batchMs,
      maxBufferedRows: Math.max(config.maxBufferedRows, config.batchRows),
      retryBaseMs: config.retryBaseMs,
      retryMaxMs: config.retryMaxMs,
      drainTimeoutMs: config.drainMs,
      sessionTimeoutMs: config.sessionTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      write: writer.write,
      onAssigned: (assignment) =>
        Effect.andThen(
          writer.forgetMarks,
          Effect.logInfo("partitions assigned").pipe(Effect.annotateLogs({ assignment: JSON.stringify(assignment) }))
        ),
      onWriteFailed: () =>
        Effect.all([
          Metric.update(projectorMetrics.retries, 1),
          Metric.update(Metric.withAttributes(projectorMetrics.errors, { kind: "clickhouse" }), 1)
        ]),
      onCommitFailed: () => Metric.update(Metric.withAttributes(projectorMetrics.errors, { kind: "commit" }), 1),
      onCommitted: (offsets) =>
        Effect.forEach(
          offsets,
          ({ topic, partition, lag }) =>
            lag === undefined
              ? Effect.void
              : Metric.update(
                  Metric.withAttributes(projectorMetrics.lag, { topic, partition: String(partition) }),
                  lag
                ),
          { discard: true }
        )
    }),
    config,
    health
  )
  health.consumerStatus = consumer.status
  health.phase = "consuming"
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      health.phase = "stopping"
    })
  )
  yield* Effect.logInfo("projector consuming").pipe(
    Effect.annotateLogs({
      groupId: config.groupId,
      topics: topics.join(","),
      batchRows: config.batchRows,
      batchMs: config.batchMs
    })
  )
  return yield* consumer.failed
}).pipe(Effect.provide(ProjectionWriter.layer))
