import { currentRegistry, EventDecoder } from "@xpscore/events"
import {
  CHANGELOG_INPUT_OFFSET_HEADER,
  ensureTopics,
  murmur2Partitioner,
  splitIntoRequests,
  type TopicNames,
  topicSpecs
} from "@xpscore/kafka"
import { InvalidRatioGuard, type PartitionState, runScorer, scoreBatch } from "@xpscore/scorer"
import { defaultParams } from "@xpscore/scoring"
import { ConfigProvider, Effect, Fiber, Logger } from "effect"
import type { Admin, Kafka, Message } from "kafkajs"
import { committedRecords, sleep } from "./groupProgress.ts"

/**
 * The scorer's throughput on the input topic, measured from its group's
 * committed offsets (what it made durable): the clock starts at the first
 * commit seen, so joining the group and the (empty) restore are not in it,
 * as they are not in the ceiling. CPU time of this process per event beside it.
 */
export interface ScorerFigure {
  readonly records: number
  readonly seconds: number
  readonly eventsPerSecond: number
  readonly cpuMicrosPerEvent: number
}

const measureCommits = async (
  admin: Admin,
  groupId: string,
  topic: string,
  records: number,
  failed: () => unknown
): Promise<ScorerFigure> => {
  let startedAt = 0
  let doneAtStart = 0
  let cpuAtStart = process.cpuUsage()
  let done = 0
  const deadline = Date.now() + 600_000
  while (done < records) {
    const failure = failed()
    if (failure !== undefined) throw new Error(`the scorer of group ${groupId} stopped: ${String(failure)}`)
    if (Date.now() > deadline) throw new Error(`the scorer of group ${groupId} committed ${done} of ${records}`)
    done = await committedRecords(admin, groupId, topic)
    if (startedAt === 0 && done > 0) {
      startedAt = performance.now()
      doneAtStart = done
      cpuAtStart = process.cpuUsage()
    }
    if (done < records) await sleep(50)
  }
  const seconds = (performance.now() - startedAt) / 1000
  const cpu = process.cpuUsage(cpuAtStart)
  const counted = Math.max(1, done - doneAtStart)
  return { records, seconds, eventsPerSecond: counted / seconds, cpuMicrosPerEvent: (cpu.user + cpu.system) / counted }
}

/** Settings that run the scorer of this repository on the bench's topics, quietly, with an ephemeral health port. */
export const scorerSettings = (options: {
  brokers: ReadonlyArray<string>
  prefix: string
  modelVersion?: string
  groupId: string
  partitions: number
}): Record<string, string> => ({
  KAFKA_BROKERS: options.brokers.join(","),
  XPSCORE_TOPIC_PREFIX: options.prefix,
  ...(options.modelVersion === undefined ? {} : { XPSCORE_TOPIC_MODEL_VERSION: options.modelVersion }),
  XPSCORE_TOPIC_PARTITIONS: String(options.partitions),
  XPSCORE_SCORER_GROUP_ID: options.groupId,
  XPSCORE_SCORER_HTTP_HOST: "127.0.0.1",
  XPSCORE_SCORER_HTTP_PORT: "0"
})

/** The real scorer (`runScorer`, exactly once, default settings) in this process, until it committed `records`. */
export const transactionalScorer = async (
  kafka: Kafka,
  options: { brokers: ReadonlyArray<string>; prefix: string; inputTopic: string; records: number; partitions: number }
): Promise<ScorerFigure> => {
  const groupId = `${options.prefix}scorer-eos`
  const env = scorerSettings({ ...options, modelVersion: "eos", groupId })
  const fiber = Effect.runFork(
    Effect.scoped(runScorer).pipe(
      Effect.provide(EventDecoder.layer),
      Effect.provide(Logger.layer([])),
      Effect.provideService(ConfigProvider.ConfigProvider, ConfigProvider.fromEnv({ env }))
    )
  )
  const admin = kafka.admin()
  await admin.connect()
  try {
    return await measureCommits(admin, groupId, options.inputTopic, options.records, () => {
      const exit = fiber.pollUnsafe()
      return exit === undefined ? undefined : String(exit)
    })
  } finally {
    await admin.disconnect()
    await Effect.runPromise(Fiber.interrupt(fiber))
  }
}

/**
 * The same per-batch work without transactions, for comparison: a plain
 * kafkajs consumer, `scoreBatch` (decode, fold, score records, changelog,
 * dead letters, exactly what the scorer runs), the same writes through an
 * idempotent producer, then the input offsets committed. At least once: a
 * crash between the writes and the commit would score a batch twice. Not
 * a mode of the scorer; it exists to put a number on what transactions cost.
 */
export const nonTransactionalScorer = async (
  kafka: Kafka,
  options: { prefix: string; inputTopic: string; records: number; partitions: number; topics: TopicNames }
): Promise<ScorerFigure> => {
  const groupId = `${options.prefix}scorer-alo`
  await Effect.runPromise(
    ensureTopics(kafka, topicSpecs({ names: options.topics, partitions: options.partitions, replicationFactor: 1 }))
  )
  const setup = {
    decoder: EventDecoder.make(currentRegistry),
    params: defaultParams,
    topics: options.topics,
    groupId,
    guard: new InvalidRatioGuard(0.25, 1_000),
    nowMs: Date.now
  }
  const states = new Map<number, PartitionState>()
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: murmur2Partitioner,
    allowAutoTopicCreation: false
  })
  const consumer = kafka.consumer({
    groupId,
    maxBytesPerPartition: 4_194_304,
    maxBytes: 4_194_304 * options.partitions
  })
  const admin = kafka.admin()
  let failure: unknown
  await Promise.all([producer.connect(), consumer.connect(), admin.connect()])
  try {
    await consumer.subscribe({ topics: [options.inputTopic], fromBeginning: true })
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: options.partitions,
      eachBatch: async ({ batch, heartbeat }) => {
        try {
          let state = states.get(batch.partition)
          if (state === undefined) {
            state = { customers: new Map() }
            states.set(batch.partition, state)
          }
          for (let from = 0; from < batch.messages.length; from += 10_000) {
            const messages = batch.messages.slice(from, from + 10_000)
            const result = scoreBatch(setup, state, { topic: batch.topic, partition: batch.partition, messages })
            if (result._tag === "Failure") throw result.failure
            const next = String(BigInt(messages[messages.length - 1]!.offset) + 1n)
            const changelog: Array<Message> = result.success.changelog.map((write) => ({
              key: write.key,
              value: write.value,
              partition: batch.partition,
              headers: { [CHANGELOG_INPUT_OFFSET_HEADER]: next }
            }))
            const requests = splitIntoRequests([
              ...result.success.topicMessages,
              { topic: options.topics.scorerState, messages: changelog }
            ])
            for (const request of requests) await producer.sendBatch({ topicMessages: request, acks: -1 })
            await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }])
            await heartbeat()
          }
        } catch (error) {
          failure = error
          throw error
        }
      }
    })
    return await measureCommits(admin, groupId, options.inputTopic, options.records, () => failure)
  } finally {
    await consumer.disconnect()
    await Promise.all([producer.disconnect(), admin.disconnect()])
  }
}
