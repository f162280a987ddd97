import { Cause, type Context, Deferred, Effect, Exit, Schema, type Scope } from "effect"
import type { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage, Message, Producer, TopicMessages } from "kafkajs"
import { CHANGELOG_INPUT_OFFSET_HEADER, type ChangelogEntry, readChangelog } from "./changelogRestore.ts"
import { murmur2Partitioner } from "./murmur2Partitioner.ts"

/**
 * Exactly-once consume → process → produce over kafkajs (Kafka Streams'
 * model, without KIP-447, which kafkajs lacks):
 *
 * - One transactional producer per input partition, with the transactional
 *   id `<input topic>:<group>:<partition>`. Whoever is assigned partition p
 *   next initialises a producer with the same id, which bumps its epoch:
 *   the previous owner's open transaction is aborted and every later write
 *   of it is refused (a zombie cannot commit).
 * - Per batch of one partition, one transaction holds the outputs, the new
 *   state of every key the batch touched on the changelog partition with the
 *   same number as the input partition, and the input offsets
 *   (`sendOffsets`). All or nothing: state, output and progress never
 *   disagree.
 * - On assignment: fence (above), then read the committed offset, then
 *   restore the partition's state from its changelog partition up to its
 *   last stable offset (read_committed). In that order, nothing a previous
 *   owner could still commit is missed. A partition is paused from the
 *   moment it is assigned until its state is restored, then sought to the
 *   committed offset and resumed. A partition kept across a rebalance keeps
 *   its state when the committed offset is still the one this member
 *   committed (nobody else processed it meanwhile).
 * - On any failure of a batch: abort, pause the partition, drop its state and
 *   prepare it again (fence, committed offset, restore) after a backoff. The
 *   in-memory state never runs ahead of the committed offsets.
 * - A failure of `process` or `restore` itself is not retried: it is a fact
 *   about the data or the code (a broken stream, a bug), and the processor
 *   stops with it.
 */
export interface InputBatch {
  readonly topic: string
  readonly partition: number
  /** in offset order; none is before the state's offset */
  readonly messages: ReadonlyArray<KafkaMessage>
}

export interface ChangelogWrite {
  /** the key as text, or as its UTF-8 bytes (saves the client encoding it again) */
  readonly key: string | Buffer
  readonly value: Buffer
}

export interface BatchOutput<Stats> {
  /** records for the output topics (anything but the changelog), keyed or with explicit partitions */
  readonly topicMessages: ReadonlyArray<TopicMessages>
  /** the new value of every key the batch changed */
  readonly changelog: ReadonlyArray<ChangelogWrite>
  readonly stats: Stats
}

export interface PartitionProcessor<S, Stats, E, R> {
  /** a partition's state from the latest changelog value of each key (in the order they were last written) */
  readonly restore: (partition: number, entries: ReadonlyMap<string, ChangelogEntry>) => Effect.Effect<S, E, R>
  /** processes one batch of one partition: changes `state` in place and says what to write */
  readonly process: (state: S, batch: InputBatch) => Effect.Effect<BatchOutput<Stats>, E, R>
  /** the number of keys in a state (for status and metrics) */
  readonly size: (state: S) => number
}

export interface TransactionalProcessorOptions<S, Stats, E, R> {
  readonly kafka: Kafka
  readonly groupId: string
  readonly inputTopic: string
  /** co-partitioned with the input topic */
  readonly changelogTopic: string
  readonly processor: PartitionProcessor<S, Stats, E, R>
  /** records per transaction at most (a fetched batch is split) */
  readonly maxBatchRecords: number
  /** partitions processed at the same time (each in its own transactions) */
  readonly partitionsConcurrently: number
  /** a fetch returns when this many bytes are there, or after fetchMaxWaitMs */
  readonly fetchMinBytes: number
  readonly fetchMaxWaitMs: number
  readonly fetchMaxBytesPerPartition: number
  readonly sessionTimeoutMs: number
  readonly heartbeatIntervalMs: number
  readonly rebalanceTimeoutMs: number
  /** the broker aborts a transaction left open this long (a crashed owner nobody fenced) */
  readonly transactionTimeoutMs: number
  /** first delay before preparing a failed partition again; doubles up to retryMaxMs */
  readonly retryBaseMs: number
  readonly retryMaxMs: number
  /** a restore that reads nothing for this long fails (and is retried) */
  readonly restoreStallMs: number
  /** how long closing may spend finishing the open transactions and leaving the group */
  readonly drainTimeoutMs: number
  readonly onCommitted?: (batch: CommittedBatch<Stats>) => Effect.Effect<void, never, R>
  readonly onRestored?: (restored: RestoredPartitionInfo) => Effect.Effect<void, never, R>
  readonly onBatchFailed?: (failure: BatchFailure) => Effect.Effect<void, never, R>
}

export interface CommittedBatch<Stats> {
  readonly partition: number
  readonly records: number
  /** the input offset the partition's state now reflects (committed) */
  readonly nextOffset: string
  /** records of the partition after nextOffset, as of the fetch */
  readonly lag: number
  readonly stats: Stats
  /** keys in the partition's state after the batch */
  readonly stateSize: number
  readonly processMs: number
  /** from the start of the transaction to its commit */
  readonly transactionMs: number
  /** from the start of processing to the commit */
  readonly batchMs: number
}

export interface RestoredPartitionInfo {
  readonly partition: number
  /** true when the state was kept from the previous assignment (nothing to read) */
  readonly kept: boolean
  readonly keys: number
  readonly recordsRead: number
  /** fence, committed offset and restore */
  readonly durationMs: number
  readonly nextOffset: string
}

export interface BatchFailure {
  readonly partition: number
  readonly records: number
  readonly error: string
  readonly attempt: number
  readonly retryInMs: number
}

export type PartitionPhase = "preparing" | "ready" | "retrying"

export interface PartitionStatus {
  readonly partition: number
  readonly phase: PartitionPhase
  /** the input offset the state reflects; undefined until prepared */
  readonly nextOffset: string | undefined
  readonly lag: number | undefined
  readonly stateSize: number
  readonly lastCommitAtMs: number | undefined
  readonly consecutiveFailures: number
  readonly lastError: string | undefined
}

export interface ProcessorStatus {
  readonly joined: boolean
  readonly draining: boolean
  /** the assigned input partitions, each with its phase */
  readonly partitions: ReadonlyArray<PartitionStatus>
  /** the consumer's fetch loop or a batch last moved, epoch ms */
  readonly lastLoopAtMs: number
  /** when the oldest batch still being processed started, epoch ms */
  readonly batchInFlightSinceMs: number | undefined
}

export interface TransactionalProcessor<E> {
  readonly status: Effect.Effect<ProcessorStatus>
  /** fails with the reason the processor stopped (`process` or `restore` failed, or Kafka gave up); never succeeds */
  readonly failed: Effect.Effect<never, E | TransactionalProcessorFailed | ChangelogAheadOfOffsets>
}

export class TransactionalProcessorFailed extends Schema.TaggedError<TransactionalProcessorFailed>()(
  "TransactionalProcessorFailed",
  {
    groupId: Schema.String,
    stage: Schema.Literals(["connect", "subscribe", "run", "crash", "process"]),
    reason: Schema.String
  }
) {
  override get message() {
    if (this.stage === "process") return `processing for group ${this.groupId} failed unexpectedly: ${this.reason}`
    const what = this.stage === "crash" ? "keep running" : this.stage
    return `Kafka consumer of group ${this.groupId} failed to ${what}: ${this.reason}`
  }
}

/**
 * The changelog holds state that reflects input the group's committed
 * offsets say was not processed: resuming would count those events twice.
 */
export class ChangelogAheadOfOffsets extends Schema.TaggedError<ChangelogAheadOfOffsets>()("ChangelogAheadOfOffsets", {
  changelogTopic: Schema.String,
  inputTopic: Schema.String,
  partition: Schema.Int,
  groupId: Schema.String,
  changelogOffset: Schema.String,
  committedOffset: Schema.NullOr(Schema.String)
}) {
  override get message() {
    const committed =
      this.committedOffset === null
        ? `group ${this.groupId} has no committed offset for ${this.inputTopic} partition ${this.partition}`
        : `group ${this.groupId} committed only offset ${this.committedOffset} of ${this.inputTopic} partition ${this.partition}`
    return (
      `${this.changelogTopic} partition ${this.partition} holds state up to input offset ${this.changelogOffset}, but ${committed}. ` +
      "Processing would apply events twice. This happens when the consumer group changed, its offsets expired or were reset. " +
      `Either set the group's offset back to ${this.changelogOffset}, or clear the state (recreate ${this.changelogTopic}) to replay from the committed offsets.`
    )
  }
}

/** A failure `process` or `restore` reported (or a defect in them): not retried. */
class Fatal<E> {
  readonly _tag = "Fatal"
  readonly error: E | ChangelogAheadOfOffsets | TransactionalProcessorFailed
  constructor(error: E | ChangelogAheadOfOffsets | TransactionalProcessorFailed) {
    this.error = error
  }
}

/** A Kafka operation that failed: the partition is prepared again. */
class Retriable {
  readonly _tag = "Retriable"
  readonly reason: string
  constructor(reason: string) {
    this.reason = reason
  }
}

/**
 * The broker refuses a record batch above message.max.bytes (1 MiB + 12 by
 * default) per partition; a request under this many bytes cannot hold one.
 */
const MAX_REQUEST_BYTES = 900_000

/** What a message adds to a produce request, generously counted. */
const messageBytes = (message: Message): number => {
  const value = message.value
  const key = message.key
  let size = 64
  if (value !== null) size += typeof value === "string" ? Buffer.byteLength(value) : value.length
  if (key !== null && key !== undefined) size += typeof key === "string" ? Buffer.byteLength(key) : key.length
  if (message.headers !== undefined) {
    for (const [name, header] of Object.entries(message.headers)) {
      size += name.length + 8
      if (header === undefined) continue
      for (const part of Array.isArray(header) ? header : [header]) {
        size += typeof part === "string" ? Buffer.byteLength(part) : part.length
      }
    }
  }
  return size
}

/** Splits the messages of a transaction into produce requests under {@link MAX_REQUEST_BYTES}. */
export const splitIntoRequests = (
  topicMessages: ReadonlyArray<TopicMessages>,
  maxBytes: number = MAX_REQUEST_BYTES
): Array<Array<TopicMessages>> => {
  const requests: Array<Array<TopicMessages>> = []
  let current: Array<TopicMessages> = []
  let currentBytes = 0
  for (const { topic, messages } of topicMessages) {
    let group: TopicMessages | undefined
    for (const message of messages) {
      const size = messageBytes(message)
      if (currentBytes > 0 && currentBytes + size > maxBytes) {
        requests.push(current)
        current = []
        currentBytes = 0
        group = undefined
      }
      if (group === undefined) {
        group = { topic, messages: [] }
        current.push(group)
      }
      group.messages.push(message)
      currentBytes += size
    }
  }
  if (current.length > 0) requests.push(current)
  return requests
}

/** The transactional id of the producer that owns input partition `partition` for `groupId`. */
export const transactionalIdFor = (inputTopic: string, groupId: string, partition: number) =>
  `${inputTopic}:${groupId}:${partition}`

const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

const backoffMs = (attempt: number, baseMs: number, maxMs: number) =>
  Math.min(maxMs, baseMs * 2 ** Math.min(Math.max(0, attempt - 1), 30))

interface PartitionTask<S> {
  readonly partition: number
  generation: number
  phase: PartitionPhase
  state: S | undefined
  producer: Producer | undefined
  /** the committed input offset the state reflects */
  nextOffset: bigint | undefined
  lag: number | undefined
  lastCommitAtMs: number | undefined
  consecutiveFailures: number
  lastError: string | undefined
  retryAtMs: number
}

/**
 * Joins the group and processes until the scope closes; closing drains
 * (the transactions in flight finish, then the member leaves the group,
 * bounded by drainTimeoutMs).
 */
export const startTransactionalProcessor = <S, Stats, E, R>(
  options: TransactionalProcessorOptions<S, Stats, E, R>
): Effect.Effect<TransactionalProcessor<E>, TransactionalProcessorFailed, Scope.Scope | R> =>
  Effect.gen(function* () {
    const { kafka, groupId, inputTopic, changelogTopic, processor } = options
    const services = yield* Effect.context<R>()
    const run = <A, X>(effect: Effect.Effect<A, X, R>) => Effect.runPromiseWith(services as Context.Context<R>)(effect)
    const fail = (stage: TransactionalProcessorFailed["stage"]) => (cause: unknown) =>
      new TransactionalProcessorFailed({ groupId, stage, reason: reasonOf(cause) })
    const failed = yield* Deferred.make<never, E | TransactionalProcessorFailed | ChangelogAheadOfOffsets>()

    const tasks = new Map<number, PartitionTask<S>>()
    const flags = {
      generation: 0,
      joined: false,
      draining: false,
      stopped: false,
      lastLoopAtMs: Date.now(),
      /** the prepare loop has work: a new assignment or a retry */
      dirty: false,
      wake: undefined as (() => void) | undefined
    }
    const inFlight = new Map<number, number>()

    const stop = (error: E | TransactionalProcessorFailed | ChangelogAheadOfOffsets) => {
      flags.stopped = true
      Deferred.doneUnsafe(failed, Exit.fail(error))
    }
    const signal = () => {
      flags.dirty = true
      flags.wake?.()
    }

    const admin: Admin = kafka.admin()
    yield* Effect.tryPromise({ try: () => admin.connect(), catch: fail("connect") })
    yield* Effect.addFinalizer(() => Effect.promise(() => admin.disconnect()).pipe(Effect.ignore))

    const consumer: Consumer = kafka.consumer({
      groupId,
      readUncommitted: false,
      sessionTimeout: options.sessionTimeoutMs,
      rebalanceTimeout: options.rebalanceTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      minBytes: options.fetchMinBytes,
      maxWaitTimeInMs: options.fetchMaxWaitMs,
      maxBytesPerPartition: options.fetchMaxBytesPerPartition,
      maxBytes: Math.max(options.fetchMaxBytesPerPartition * Math.max(1, options.partitionsConcurrently), 10_485_760)
    })

    const pausePartition = (partition: number) => consumer.pause([{ topic: inputTopic, partitions: [partition] }])

    const closeProducer = (producer: Producer | undefined) =>
      producer === undefined ? Effect.void : Effect.promise(() => producer.disconnect()).pipe(Effect.ignore)

    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      flags.generation += 1
      flags.joined = true
      // Nothing is fetched until its state is restored; paused states survive a rebalance in kafkajs.
      consumer.pause([{ topic: inputTopic }])
      const assigned = new Set(event.payload.memberAssignment[inputTopic] ?? [])
      for (const [partition, task] of tasks) {
        if (assigned.has(partition)) continue
        tasks.delete(partition)
        Effect.runFork(closeProducer(task.producer))
      }
      for (const partition of assigned) {
        const task = tasks.get(partition) ?? {
          partition,
          generation: 0,
          phase: "preparing" as PartitionPhase,
          state: undefined,
          producer: undefined,
          nextOffset: undefined,
          lag: undefined,
          lastCommitAtMs: undefined,
          consecutiveFailures: 0,
          lastError: undefined,
          retryAtMs: 0
        }
        task.generation = flags.generation
        task.phase = "preparing"
        task.retryAtMs = 0
        tasks.set(partition, task)
      }
      signal()
    })
    consumer.on(consumer.events.REBALANCING, () => {
      flags.joined = false
    })
    consumer.on(consumer.events.FETCH, () => {
      flags.lastLoopAtMs = Date.now()
    })
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) stop(fail("crash")(event.payload.error))
    })

    // ---- preparing partitions: fence, committed offset, restore ------------------------------

    const openProducer = (partition: number) =>
      Effect.uninterruptible(
        Effect.tryPromise({
          try: async () => {
            const producer = kafka.producer({
              transactionalId: transactionalIdFor(inputTopic, groupId, partition),
              maxInFlightRequests: 1,
              transactionTimeout: options.transactionTimeoutMs,
              createPartitioner: murmur2Partitioner,
              retry: { retries: 5 }
            })
            try {
              await producer.connect()
              // The first transaction initialises the producer id: the epoch bump that
              // aborts the previous owner's open transaction and fences its producer.
              const fence = await producer.transaction()
              await fence.abort()
              return producer
            } catch (error) {
              await producer.disconnect().catch(() => undefined)
              throw error
            }
          },
          catch: (cause) => new Retriable(`fencing partition ${partition}: ${reasonOf(cause)}`)
        })
      )

    const committedOffsets = Effect.tryPromise({
      try: () => admin.fetchOffsets({ groupId, topics: [inputTopic] }),
      catch: (cause) => new Retriable(`reading committed offsets: ${reasonOf(cause)}`)
    }).pipe(
      Effect.map((topics) => {
        const offsets = new Map<number, bigint>()
        for (const { partition, offset } of topics.find((t) => t.topic === inputTopic)?.partitions ?? []) {
          const value = BigInt(offset)
          if (value >= 0n) offsets.set(partition, value)
        }
        return offsets
      })
    )

    const lowWatermarks = Effect.tryPromise({
      try: () => admin.fetchTopicOffsets(inputTopic),
      catch: (cause) => new Retriable(`reading offsets of ${inputTopic}: ${reasonOf(cause)}`)
    }).pipe(Effect.map((offsets) => new Map(offsets.map((o) => [o.partition, BigInt(o.low)]))))

    /** Prepares `partitions` of the current generation; they stay paused when anything fails. */
    const prepare = (partitions: ReadonlyArray<PartitionTask<S>>) =>
      Effect.gen(function* () {
        const generation = flags.generation
        const current = () => flags.generation === generation && !flags.stopped && !flags.draining
        const startedAtMs = Date.now()
        const opened = new Map<number, Producer>()
        const body = Effect.gen(function* () {
          for (const task of partitions) {
            const previous = task.producer
            task.producer = undefined
            yield* closeProducer(previous)
          }
          const producers = yield* Effect.forEach(partitions, (task) => openProducer(task.partition), {
            concurrency: "unbounded"
          })
          partitions.forEach((task, i) => {
            opened.set(task.partition, producers[i]!)
          })
          if (!current()) return
          const committed = yield* committedOffsets
          const lows = partitions.some((task) => !committed.has(task.partition))
            ? yield* lowWatermarks
            : new Map<number, bigint>()
          const kept = partitions.filter(
            (task) =>
              task.state !== undefined &&
              task.nextOffset !== undefined &&
              committed.get(task.partition) === task.nextOffset
          )
          const toRestore = partitions.filter((task) => !kept.includes(task))
          for (const task of toRestore) task.state = undefined
          const restored =
            toRestore.length === 0
              ? []
              : yield* readChangelog({
                  kafka,
                  topic: changelogTopic,
                  partitions: toRestore.map((task) => task.partition),
                  groupIdPrefix: groupId,
                  stallTimeoutMs: options.restoreStallMs
                }).pipe(Effect.mapError((error) => new Retriable(`restoring from ${changelogTopic}: ${error.message}`)))
          if (!current()) return
          const states = new Map<number, { state: S; keys: number; recordsRead: number }>()
          for (const partition of restored) {
            const committedOffset = committed.get(partition.partition)
            const ahead =
              partition.maxInputOffset !== undefined &&
              (committedOffset === undefined || partition.maxInputOffset > committedOffset)
            const orphanState = committedOffset === undefined && partition.entries.size > 0
            if (ahead || orphanState) {
              return yield* Effect.fail(
                new Fatal<E>(
                  new ChangelogAheadOfOffsets({
                    changelogTopic,
                    inputTopic,
                    partition: partition.partition,
                    groupId,
                    changelogOffset: String(partition.maxInputOffset ?? 0n),
                    committedOffset: committedOffset === undefined ? null : String(committedOffset)
                  })
                )
              )
            }
            const state = yield* Effect.suspend(() => processor.restore(partition.partition, partition.entries)).pipe(
              Effect.mapError((error) => new Fatal<E>(error)),
              Effect.catchDefect((defect) => Effect.fail(new Fatal<E>(fail("process")(defect))))
            )
            states.set(partition.partition, { state, keys: partition.entries.size, recordsRead: partition.recordsRead })
          }
          if (!current()) return
          const durationMs = Date.now() - startedAtMs
          const installed: Array<RestoredPartitionInfo> = []
          for (const task of partitions) {
            const restoredState = states.get(task.partition)
            if (restoredState !== undefined) task.state = restoredState.state
            const nextOffset = committed.get(task.partition) ?? lows.get(task.partition) ?? 0n
            task.nextOffset = nextOffset
            task.producer = opened.get(task.partition)
            opened.delete(task.partition)
            task.phase = "ready"
            task.consecutiveFailures = 0
            task.lastError = undefined
            task.lag = undefined
            consumer.seek({ topic: inputTopic, partition: task.partition, offset: nextOffset.toString() })
            consumer.resume([{ topic: inputTopic, partitions: [task.partition] }])
            installed.push({
              partition: task.partition,
              kept: restoredState === undefined,
              keys: restoredState?.keys ?? processor.size(task.state!),
              recordsRead: restoredState?.recordsRead ?? 0,
              durationMs,
              nextOffset: nextOffset.toString()
            })
          }
          for (const info of installed) {
            yield* Effect.logInfo(info.kept ? "partition kept its state" : "partition restored").pipe(
              Effect.annotateLogs({
                topic: inputTopic,
                partition: info.partition,
                offset: info.nextOffset,
                keys: info.keys,
                changelogRecords: info.recordsRead,
                durationMs
              })
            )
            if (options.onRestored) yield* options.onRestored(info)
          }
        })
        const exit = yield* Effect.exit(
          body.pipe(
            // producers opened for a generation that has passed, or for an attempt that failed or was interrupted
            Effect.ensuring(
              Effect.suspend(() => Effect.forEach([...opened.values()], closeProducer, { discard: true }))
            )
          )
        )
        if (Exit.isSuccess(exit)) return
        const error = Cause.findErrorOption(exit.cause)
        if (error._tag === "Some" && error.value instanceof Fatal) {
          stop(error.value.error)
          return
        }
        if (!current()) return
        const reason = error._tag === "Some" ? (error.value as Retriable).reason : Cause.pretty(exit.cause)
        for (const task of partitions) {
          task.phase = "retrying"
          task.consecutiveFailures += 1
          task.lastError = reason
          task.retryAtMs = Date.now() + backoffMs(task.consecutiveFailures, options.retryBaseMs, options.retryMaxMs)
        }
        yield* Effect.logWarning("preparing partitions failed; retrying").pipe(
          Effect.annotateLogs({
            topic: inputTopic,
            partitions: partitions.map((task) => task.partition).join(","),
            error: reason,
            attempt: partitions[0]?.consecutiveFailures ?? 0
          })
        )
      })

    const waitForWork = Effect.suspend(() => {
      if (flags.dirty || flags.stopped || flags.draining) return Effect.void
      const waiting = [...tasks.values()].filter((task) => task.phase !== "ready")
      const nextRetryAtMs = Math.min(...waiting.map((task) => task.retryAtMs))
      const sleepMs = waiting.length === 0 ? 60_000 : Math.max(0, nextRetryAtMs - Date.now())
      if (sleepMs === 0) return Effect.void
      const woken = Effect.callback<void>((resume) => {
        flags.wake = () => resume(Effect.void)
        return Effect.sync(() => {
          flags.wake = undefined
        })
      })
      return Effect.raceFirst(woken, Effect.sleep(sleepMs))
    })

    const prepareLoop = Effect.gen(function* () {
      while (!flags.stopped && !flags.draining) {
        yield* waitForWork
        flags.dirty = false
        const nowMs = Date.now()
        const due = [...tasks.values()].filter(
          (task) => task.phase !== "ready" && task.generation === flags.generation && task.retryAtMs <= nowMs
        )
        if (due.length > 0) yield* prepare(due)
      }
    })

    // ---- processing: one transaction per batch of one partition ------------------------------

    const processChunk = (task: PartitionTask<S>, messages: ReadonlyArray<KafkaMessage>, highWatermark: string) =>
      Effect.gen(function* () {
        const startedAtMs = performance.now()
        const state = task.state!
        const producer = task.producer!
        const output = yield* Effect.suspend(() =>
          processor.process(state, { topic: inputTopic, partition: task.partition, messages })
        ).pipe(
          Effect.mapError((error) => new Fatal<E>(error)),
          Effect.catchDefect((defect) => Effect.fail(new Fatal<E>(fail("process")(defect))))
        )
        const processedAtMs = performance.now()
        const nextOffset = BigInt(messages[messages.length - 1]!.offset) + 1n
        const next = nextOffset.toString()
        const changelogHeaders = { [CHANGELOG_INPUT_OFFSET_HEADER]: next }
        const changelogMessages: Array<Message> = new Array(output.changelog.length)
        for (let i = 0; i < output.changelog.length; i++) {
          const write = output.changelog[i]!
          changelogMessages[i] = {
            key: write.key,
            value: write.value,
            partition: task.partition,
            headers: changelogHeaders
          }
        }
        const requests = splitIntoRequests([
          ...output.topicMessages,
          { topic: changelogTopic, messages: changelogMessages }
        ])
        const attempt = <A>(what: string, operation: () => Promise<A>) =>
          Effect.tryPromise({ try: operation, catch: (cause) => new Retriable(`${what}: ${reasonOf(cause)}`) })
        const transaction = yield* attempt("beginning a transaction", () => producer.transaction())
        yield* Effect.gen(function* () {
          for (const request of requests) {
            yield* attempt("producing", () => transaction.sendBatch({ topicMessages: request, acks: -1 }))
          }
          yield* attempt("adding the input offsets to the transaction", () =>
            transaction.sendOffsets({
              consumerGroupId: groupId,
              topics: [{ topic: inputTopic, partitions: [{ partition: task.partition, offset: next }] }]
            })
          )
          yield* attempt("committing the transaction", () => transaction.commit())
        }).pipe(
          Effect.onError(() =>
            transaction.isActive() ? Effect.promise(() => transaction.abort()).pipe(Effect.ignore) : Effect.void
          )
        )
        const committedAtMs = performance.now()
        task.nextOffset = nextOffset
        task.lag = Math.max(0, Number(BigInt(highWatermark) - nextOffset))
        task.lastCommitAtMs = Date.now()
        flags.lastLoopAtMs = task.lastCommitAtMs
        if (options.onCommitted) {
          yield* options.onCommitted({
            partition: task.partition,
            records: messages.length,
            nextOffset: next,
            lag: task.lag,
            stats: output.stats,
            stateSize: processor.size(state),
            processMs: processedAtMs - startedAtMs,
            transactionMs: committedAtMs - processedAtMs,
            batchMs: committedAtMs - startedAtMs
          })
        }
      })

    const chunkFailed = (task: PartitionTask<S>, records: number, cause: Cause.Cause<Fatal<E> | Retriable>) =>
      Effect.gen(function* () {
        const error = Cause.findErrorOption(cause)
        if (error._tag === "Some" && error.value instanceof Fatal) {
          const fatal = error.value.error
          yield* Effect.logError("processing a batch failed; stopping").pipe(
            Effect.annotateLogs({
              topic: inputTopic,
              partition: task.partition,
              offset: String(task.nextOffset),
              error: fatal instanceof Error ? fatal.message : String(fatal)
            })
          )
          stop(error.value.error)
          return
        }
        const reason = error._tag === "Some" ? (error.value as Retriable).reason : Cause.pretty(cause)
        pausePartition(task.partition)
        task.phase = "retrying"
        task.state = undefined
        task.nextOffset = undefined
        task.consecutiveFailures += 1
        task.lastError = reason
        const retryInMs = backoffMs(task.consecutiveFailures, options.retryBaseMs, options.retryMaxMs)
        task.retryAtMs = Date.now() + retryInMs
        yield* Effect.logWarning("transaction aborted; the partition is restored and retried").pipe(
          Effect.annotateLogs({
            topic: inputTopic,
            partition: task.partition,
            records,
            error: reason,
            attempt: task.consecutiveFailures,
            retryInMs
          })
        )
        if (options.onBatchFailed) {
          yield* options.onBatchFailed({
            partition: task.partition,
            records,
            error: reason,
            attempt: task.consecutiveFailures,
            retryInMs
          })
        }
        signal()
      })

    const usable = (task: PartitionTask<S> | undefined, generation: number): task is PartitionTask<S> =>
      task !== undefined &&
      task.phase === "ready" &&
      task.generation === generation &&
      task.state !== undefined &&
      task.producer !== undefined &&
      task.nextOffset !== undefined &&
      !flags.stopped &&
      !flags.draining

    const eachBatch = async (payload: EachBatchPayload) => {
      const { batch } = payload
      const generation = flags.generation
      const task = tasks.get(batch.partition)
      if (!usable(task, generation)) return
      const messages = batch.messages
      let from = 0
      while (from < messages.length && BigInt(messages[from]!.offset) < task.nextOffset!) from++
      if (from === messages.length) {
        // all of it is already in the state: read on from where the state is
        consumer.seek({ topic: inputTopic, partition: batch.partition, offset: task.nextOffset!.toString() })
        return
      }
      inFlight.set(batch.partition, Date.now())
      try {
        for (let start = from; start < messages.length; start += options.maxBatchRecords) {
          if (!usable(task, generation) || !payload.isRunning() || payload.isStale()) return
          const chunk = messages.slice(start, Math.min(messages.length, start + options.maxBatchRecords))
          const exit = await run(Effect.exit(processChunk(task, chunk, batch.highWatermark)))
          if (Exit.isFailure(exit)) {
            await run(chunkFailed(task, chunk.length, exit.cause))
            return
          }
          payload.resolveOffset(chunk[chunk.length - 1]!.offset)
          await payload.heartbeat()
        }
      } finally {
        inFlight.delete(batch.partition)
      }
    }

    yield* Effect.tryPromise({ try: () => consumer.connect(), catch: fail("connect") })
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        yield* Effect.promise(() => consumer.disconnect()).pipe(
          Effect.timeoutOrElse({
            duration: options.drainTimeoutMs,
            orElse: () => Effect.logWarning("the consumer did not leave the group within the drain timeout")
          }),
          Effect.ignore
        )
        const producers = [...tasks.values()].map((task) => task.producer)
        tasks.clear()
        yield* Effect.forEach(producers, closeProducer, { concurrency: "unbounded", discard: true })
        yield* Effect.logInfo("transactional processor stopped").pipe(
          Effect.annotateLogs({ groupId, topic: inputTopic })
        )
      })
    )
    yield* Effect.tryPromise({
      try: () => consumer.subscribe({ topics: [inputTopic], fromBeginning: true }),
      catch: fail("subscribe")
    })
    const prepareFiber = yield* Effect.forkScoped(prepareLoop)
    yield* Effect.addFinalizer(() =>
      Effect.sync(() => {
        // Runs first (finalizers run in reverse): no new batch or preparation starts from here on.
        flags.draining = true
        flags.wake?.()
      })
    )
    void prepareFiber
    yield* Effect.tryPromise({
      try: () =>
        consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: options.partitionsConcurrently,
          eachBatch
        }),
      catch: fail("run")
    })

    const status = Effect.sync(
      (): ProcessorStatus => ({
        joined: flags.joined,
        draining: flags.draining,
        partitions: [...tasks.values()]
          .sort((a, b) => a.partition - b.partition)
          .map((task) => ({
            partition: task.partition,
            phase: task.phase,
            nextOffset: task.nextOffset?.toString(),
            lag: task.lag,
            stateSize: task.state === undefined ? 0 : processor.size(task.state),
            lastCommitAtMs: task.lastCommitAtMs,
            consecutiveFailures: task.consecutiveFailures,
            lastError: task.lastError
          })),
        lastLoopAtMs: flags.lastLoopAtMs,
        batchInFlightSinceMs: inFlight.size === 0 ? undefined : Math.min(...inFlight.values())
      })
    )
    return { status, failed: Deferred.await(failed) }
  })
