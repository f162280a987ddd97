import { EventDecoder } from "@xpscore/events"
import { ensureTopics, kafkaClient, startTransactionalProcessor, topicLayoutConfig, topicSpecs } from "@xpscore/kafka"
import { modelVersionId } from "@xpscore/scoring"
import { Cause, Effect, Layer, type Scope } from "effect"
import { healthServerLayer, makeScorerHealth, type ScorerHealth } from "./healthServer.ts"
import { InvalidRatioGuard } from "./invalidRatioGuard.ts"
import { partitionScorer } from "./partitionScorer.ts"
import { loadModelParams, modelParamsConfig, type ScorerConfig, scorerConfig } from "./scorerConfig.ts"
import { initializeScorerMetrics, recordBatchFailed, recordCommitted, recordRestored } from "./scorerMetrics.ts"

const firstLine = (cause: Cause.Cause<unknown>) => Cause.pretty(cause).split("\n")[0] ?? "unknown error"

/**
 * Runs `step` until it succeeds, waiting longer after each failure: a Kafka
 * that is not up yet is waited for, not crashed on, so an orchestrator never
 * sees a crash loop (and /healthz shows the attempts).
 */
const untilItWorks = <A, E, R>(
  what: string,
  step: Effect.Effect<A, E, R>,
  config: ScorerConfig,
  health: ScorerHealth
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
 * The scorer: makes sure the topics exist (co-partitioned changelog
 * included), then consumes the interactions topic with one Kafka transaction
 * per batch of one partition (score records, changelog, dead letters, input
 * offsets), restoring each assigned partition's customers from the
 * changelog first. Serves /healthz, /readyz and /metrics from the start.
 * Runs until interrupted (SIGTERM or SIGINT under NodeRuntime.runMain), then
 * drains: the open transactions finish, the member leaves the group. Fails
 * when the configuration is invalid, when the invalid-record ceiling is
 * crossed, when state cannot be read, or when the Kafka client gives up.
 */
export const runScorer = Effect.gen(function* () {
  const config = yield* scorerConfig
  const params = yield* loadModelParams(yield* modelParamsConfig)
  const decoder = yield* EventDecoder
  const health = makeScorerHealth()
  yield* initializeScorerMetrics
  yield* Layer.build(
    healthServerLayer(health, { host: config.httpHost, port: config.httpPort, stallMs: config.stallMs })
  )

  const kafka = yield* kafkaClient("xpscore-scorer")
  const layout = yield* topicLayoutConfig
  yield* untilItWorks("making sure the Kafka topics exist", ensureTopics(kafka, topicSpecs(layout)), config, health)

  const guard = new InvalidRatioGuard(config.maxInvalidRatio, config.invalidWindow)
  const setup = { decoder, params, topics: config.topics, groupId: config.groupId, guard, nowMs: Date.now }
  const processor = yield* untilItWorks(
    "joining the consumer group",
    startTransactionalProcessor({
      kafka,
      groupId: config.groupId,
      inputTopic: config.topics.interactions,
      changelogTopic: config.topics.scorerState,
      processor: partitionScorer(setup),
      maxBatchRecords: config.maxBatchRecords,
      partitionsConcurrently: config.partitionsConcurrently,
      fetchMinBytes: config.fetchMinBytes,
      fetchMaxWaitMs: config.fetchMaxWaitMs,
      fetchMaxBytesPerPartition: config.fetchMaxBytesPerPartition,
      sessionTimeoutMs: config.sessionTimeoutMs,
      heartbeatIntervalMs: config.heartbeatIntervalMs,
      rebalanceTimeoutMs: config.rebalanceTimeoutMs,
      transactionTimeoutMs: config.transactionTimeoutMs,
      retryBaseMs: config.retryBaseMs,
      retryMaxMs: config.retryMaxMs,
      restoreStallMs: config.restoreStallMs,
      drainTimeoutMs: config.drainMs,
      onCommitted: (batch) =>
        Effect.gen(function* () {
          guard.record(batch.stats.records, batch.stats.deadLettered)
          yield* recordCommitted(batch)
          const first = batch.stats.firstDeadLetter
          if (first !== undefined) {
            yield* Effect.logWarning("records dead-lettered").pipe(
              Effect.annotateLogs({
                topic: config.topics.interactions,
                partition: batch.partition,
                offset: first.offset,
                customerId: first.key,
                deadLettered: batch.stats.deadLettered,
                records: batch.records,
                reason: first.reason
              })
            )
          }
        }),
      onRestored: recordRestored,
      onBatchFailed: recordBatchFailed
    }),
    config,
    health
  )
  health.processorStatus = processor.status
  health.phase = "running"
  yield* Effect.addFinalizer(() =>
    Effect.sync(() => {
      health.phase = "stopping"
    })
  )
  yield* Effect.logInfo("scorer consuming").pipe(
    Effect.annotateLogs({
      groupId: config.groupId,
      topic: config.topics.interactions,
      modelVersion: modelVersionId(params),
      maxBatchRecords: config.maxBatchRecords
    })
  )
  return yield* processor.failed
}) satisfies Effect.Effect<never, unknown, Scope.Scope | EventDecoder>
