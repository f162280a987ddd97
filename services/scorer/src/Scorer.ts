import { EventDecoder } from "@xpscore/events"
import { ensureTopics, kafkaClient, startTransactionalProcessor, topicLayoutConfig, topicSpecs } from "@xpscore/kafka"
import { modelVersionId } from "@xpscore/scoring"
import { retryUntilSuccess } from "@xpscore/service"
import { Effect, Layer, type Scope } from "effect"
import { InvalidRatioGuard } from "./invalidRatioGuard.ts"
import { partitionScorer } from "./partitionScorer.ts"
import { loadModelParams, modelParamsConfig, scorerConfig } from "./scorerConfig.ts"
import { makeScorerHealth, scorerHealthEndpoints } from "./scorerHealth.ts"
import { initializeScorerMetrics, recordBatchFailed, recordCommitted, recordRestored } from "./scorerMetrics.ts"

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
    scorerHealthEndpoints(health, { host: config.httpHost, port: config.httpPort, stallMs: config.stallMs })
  )

  const kafka = yield* kafkaClient("xpscore-scorer")
  const layout = yield* topicLayoutConfig
  yield* retryUntilSuccess(
    "making sure the Kafka topics exist",
    ensureTopics(kafka, topicSpecs(layout)),
    config,
    health
  )

  const guard = new InvalidRatioGuard(config.maxInvalidRatio, config.invalidWindow)
  const setup = { decoder, params, topics: config.topics, groupId: config.groupId, guard, nowMs: Date.now }
  const processor = yield* retryUntilSuccess(
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
