import { randomUUID } from "node:crypto"
import { Deferred, Effect, Exit, Schema } from "effect"
import type { Kafka, KafkaMessage } from "kafkajs"

export class TopicReadFailed extends Schema.TaggedError<TopicReadFailed>()("TopicReadFailed", {
  topic: Schema.String,
  partitions: Schema.Array(Schema.Int),
  reason: Schema.String
}) {
  override get message() {
    return `reading partitions ${this.partitions.join(", ")} of ${this.topic} failed: ${this.reason}`
  }
}

export interface ReadToEndOptions {
  readonly kafka: Kafka
  readonly topic: string
  /** default: every partition of the topic */
  readonly partitions?: ReadonlyArray<number>
  /** prefix of the throwaway consumer group the read runs in */
  readonly groupIdPrefix: string
  /** fail when nothing arrives for this long while partitions are still short of their end */
  readonly stallTimeoutMs: number
  /** the committed records of one partition, in offset order (called synchronously, batch by batch) */
  readonly onMessages: (partition: number, messages: ReadonlyArray<KafkaMessage>) => void
}

export interface PartitionEnd {
  readonly partition: number
  /** the offset read up to: the last stable offset when the read began */
  readonly endOffset: string
}

const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/**
 * Reads partitions of a topic from their beginning to their end as of the
 * start of the read, committed records only (read_committed).
 *
 * The end is the last stable offset (ListOffsets with read_committed, as
 * kafkajs' admin asks): records of a transaction still open are not part of
 * it. The last offsets of a transactional partition are commit markers that
 * no consumer is ever handed, so "reached the end" is "the position, which
 * moves past markers too, reached the end", never "saw the record at
 * end − 1". kafkajs reports a fetch that held only markers (or aborted
 * records) as an empty batch (END_BATCH_PROCESS with batchSize 0), which
 * moves the position as well.
 *
 * kafkajs has no manual partition assignment, so the read runs in a consumer
 * group of its own (one member: it is assigned every partition), pausing the
 * partitions it does not need before its first fetch, and committing nothing.
 */
export const readToEnd = (options: ReadToEndOptions): Effect.Effect<ReadonlyArray<PartitionEnd>, TopicReadFailed> =>
  Effect.gen(function* () {
    const { kafka, topic } = options
    const failWith = (reason: string, partitions: ReadonlyArray<number> = options.partitions ?? []) =>
      new TopicReadFailed({ topic, partitions: [...partitions], reason })
    const admin = kafka.admin()
    const offsets = yield* Effect.acquireUseRelease(
      Effect.tryPromise({ try: () => admin.connect(), catch: (cause) => failWith(reasonOf(cause)) }),
      () =>
        Effect.tryPromise({
          try: () => admin.fetchTopicOffsets(topic),
          catch: (cause) => failWith(`reading its offsets: ${reasonOf(cause)}`)
        }),
      () => Effect.promise(() => admin.disconnect()).pipe(Effect.ignore)
    )
    const partitions = options.partitions ?? offsets.map((offset) => offset.partition).sort((a, b) => a - b)
    const ends = new Map<number, bigint>()
    const result: Array<PartitionEnd> = []
    for (const partition of partitions) {
      const known = offsets.find((offset) => offset.partition === partition)
      if (known === undefined) return yield* failWith(`the topic has no partition ${partition}`, partitions)
      result.push({ partition, endOffset: known.high })
      if (BigInt(known.high) > BigInt(known.low)) ends.set(partition, BigInt(known.high))
    }
    if (ends.size === 0) return result

    const done = yield* Deferred.make<void, TopicReadFailed>()
    const remaining = new Set(ends.keys())
    let lastProgressAtMs = Date.now()
    const consumer = kafka.consumer({
      groupId: `${options.groupIdPrefix}.read.${randomUUID()}`,
      readUncommitted: false,
      maxBytesPerPartition: 16 * 1024 * 1024,
      maxBytes: 64 * 1024 * 1024,
      maxWaitTimeInMs: 100,
      retry: { retries: 5 }
    })
    const reached = (partition: number, lastOffset: string) => {
      lastProgressAtMs = Date.now()
      const end = ends.get(partition)
      if (end === undefined || BigInt(lastOffset) + 1n < end) return
      if (!remaining.delete(partition)) return
      consumer.pause([{ topic, partitions: [partition] }])
      if (remaining.size === 0) Deferred.doneUnsafe(done, Exit.void)
    }
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      const unwanted = (event.payload.memberAssignment[topic] ?? []).filter((partition) => !remaining.has(partition))
      if (unwanted.length > 0) consumer.pause([{ topic, partitions: unwanted }])
    })
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      if (event.payload.batchSize === 0) reached(event.payload.partition, event.payload.lastOffset)
    })
    consumer.on(consumer.events.CRASH, (event) => {
      Deferred.doneUnsafe(done, Exit.fail(failWith(`the reading consumer crashed: ${reasonOf(event.payload.error)}`)))
    })

    return yield* Effect.acquireUseRelease(
      Effect.tryPromise({ try: () => consumer.connect(), catch: (cause) => failWith(reasonOf(cause)) }),
      () =>
        Effect.gen(function* () {
          yield* Effect.tryPromise({
            try: () => consumer.subscribe({ topics: [topic], fromBeginning: true }),
            catch: (cause) => failWith(reasonOf(cause))
          })
          yield* Effect.tryPromise({
            try: () =>
              consumer.run({
                autoCommit: false,
                eachBatch: async ({ batch }) => {
                  if (!remaining.has(batch.partition)) return
                  const end = ends.get(batch.partition)!
                  const last = batch.messages.length === 0 ? undefined : batch.messages[batch.messages.length - 1]!
                  // a batch may run past the end (records committed after the read began): not part of this read
                  const messages =
                    last === undefined || BigInt(last.offset) < end
                      ? batch.messages
                      : batch.messages.filter((message) => BigInt(message.offset) < end)
                  if (messages.length > 0) options.onMessages(batch.partition, messages)
                  reached(batch.partition, batch.lastOffset())
                }
              }),
            catch: (cause) => failWith(reasonOf(cause))
          })
          const stalled = Effect.gen(function* () {
            while (true) {
              yield* Effect.sleep(Math.max(100, Math.min(1_000, options.stallTimeoutMs)))
              if (Date.now() - lastProgressAtMs > options.stallTimeoutMs) {
                return yield* failWith(
                  `no progress for ${options.stallTimeoutMs} ms with partitions ${[...remaining].join(", ")} short of their end`
                )
              }
            }
          })
          yield* Effect.raceFirst(Deferred.await(done), stalled)
          return result
        }),
      () => Effect.promise(() => consumer.disconnect()).pipe(Effect.ignore)
    )
  })
