import { ClickHouse, migrate } from "@xpscore/clickhouse"
import { ensureTopics, kafkaClient, startBatchConsumer, topicLayoutConfig, topicSpecs } from "@xpscore/kafka"
import { Cause, Config, Effect, Layer, Metric, type Scope } from "effect"
import { healthServerLayer, makeProjectorHealth, type ProjectorHealth } from "./healthServer.ts"
import { ProjectionWriter } from "./ProjectionWriter.ts"
import { type ProjectorConfig, projectorConfig } from "./projectorConfig.ts"
import { initializeProjectorMetrics, projectorMetrics } from "./projectorMetrics.ts"

const firstLine = (cause: Cause.Cause<unknown>) => Cause.pretty(cause).split("\n")[0] ?? "unknown error"

/**
 * Runs `step` until it succeeds, waiting longer after each failure (up to
 * retryMaxMs): a ClickHouse or Kafka that is not up yet is waited for, not
 * crashed on, so an orchestrator never sees a crash loop.
 */
const untilItWorks = <A, E, R>(
  what: string,
  step: Effect.Effect<A, E, R>,
  config: ProjectorConfig,
  health: ProjectorHealth
): Effect.Effect<A, never, R> =>
  Effect.gen(function* () {
    for (let attempt = 1; ; attempt++) {
      health.lastStartupAttemptAtMs = Date.now()
      const exit = yield* Effect.exit(step)
      if (exit._tag === "Success") {
        health.startupError = undefined
        return exit.value
      }
      const retryInMs = Math.min(config.retryMaxMs, config.retryBaseMs * 2 ** Math.min(attempt - 1, 30))
      health.startupError = `${what}: ${firstLine(exit.cause)}`
      yield* Effect.logWarning(`${what} failed; retrying`).pipe(
        Effect.annotateLogs({ attempt, retryInMs, error: firstLine(exit.cause) })
      )
      yield* Effect.sleep(retryInMs)
    }
  })

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
  yield* Layer.build(healthServerLayer(health, { host: httpHost, port: config.httpPort, stallMs: config.stallMs }))

  const clickhouse = yield* ClickHouse
  const plan = yield* untilItWorks("migrating the ClickHouse schema", migrate, config, health)
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
  yield* untilItWorks("making sure the Kafka topics exist", ensureTopics(kafka, topicSpecs(layout)), config, health)

  const writer = yield* ProjectionWriter
  const topics = [config.topics.scores, config.topics.interactions]
  const consumer = yield* untilItWorks(
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
