import { Cause, Deferred, Effect, Exit, Fiber, Schema, type Scope } from "effect"
import type { Consumer, Kafka, KafkaMessage } from "kafkajs"
import { emptyHeaderMap } from "./headerMap.ts"
import { type ConsumedRecord, type PartitionOffset, PendingBatch, type TakenBatch } from "./pendingBatch.ts"

/**
 * An at-least-once batch consumer (after getsentry/arroyo): records are
 * buffered and handed to `write` in batches of at most `maxBatchRows` rows or
 * `maxBatchMs` milliseconds, whichever comes first; the offsets a batch
 * covers are committed only after `write` succeeded. Hence nothing is lost,
 * and after a crash the uncommitted tail is delivered again: `write` must be
 * idempotent.
 *
 * - read_committed: records of aborted transactions never arrive, and a
 *   batch that held only transaction markers still advances its partition
 *   (an "empty batch" is flushed so offsets move and lag reaches zero).
 * - Backpressure by pausing partitions, never by sleeping in the fetch loop:
 *   the consumer pauses its topics when `maxBufferedRows` are waiting and
 *   while `write` keeps failing; it retries the same batch with exponential
 *   backoff (heartbeats go on, so the group does not evict it) and resumes
 *   once a write went through.
 * - A rebalance forgets the buffer (the group re-reads from the committed
 *   offsets) and a batch taken before it is neither written nor committed
 *   when the assignment changed meanwhile.
 * - Closing the scope drains: pause, flush what is buffered, commit, leave
 *   the group (bounded by `drainTimeoutMs`; what is not committed then is
 *   simply read again by the next consumer).
 */
export interface BatchConsumerOptions<E, R> {
  readonly kafka: Kafka
  readonly groupId: string
  readonly topics: ReadonlyArray<string>
  /** where a group without committed offsets starts: the beginning (true) or the end of each partition */
  readonly fromBeginning: boolean
  readonly maxBatchRows: number
  readonly maxBatchMs: number
  /** pause fetching while this many rows wait to be written */
  readonly maxBufferedRows: number
  /** first retry delay of a failing write; doubles up to retryMaxMs */
  readonly retryBaseMs: number
  readonly retryMaxMs: number
  /** how long closing may spend flushing the last batch */
  readonly drainTimeoutMs: number
  /**
   * a member silent this long is removed from the group and its partitions go
   * to the others (after a crash, the wait before another member takes over)
   */
  readonly sessionTimeoutMs: number
  readonly heartbeatIntervalMs: number
  /** writes one batch; must be idempotent (a batch can be delivered again after a crash) */
  readonly write: (records: ReadonlyArray<ConsumedRecord>) => Effect.Effect<void, E, R>
  /** runs before the first write after each (re)assignment: forget per-partition caches here */
  readonly onAssigned?: (assignment: ReadonlyArray<TopicPartitions>) => Effect.Effect<void, never, R>
  readonly onWriteFailed?: (failure: WriteFailure<E>) => Effect.Effect<void, never, R>
  readonly onCommitted?: (offsets: ReadonlyArray<CommittedOffset>) => Effect.Effect<void, never, R>
  /** a commit failed after its batch was written (the group delivers the batch again) */
  readonly onCommitFailed?: (cause: Cause.Cause<unknown>) => Effect.Effect<void, never, R>
}

export interface TopicPartitions {
  readonly topic: string
  readonly partitions: ReadonlyArray<number>
}

export interface WriteFailure<E> {
  readonly cause: Cause.Cause<E>
  /** 1 for the first failure of this batch */
  readonly attempt: number
  readonly retryInMs: number
  readonly rows: number
}

export interface CommittedOffset extends PartitionOffset {
  /** records behind the partition's high watermark after this commit, when known */
  readonly lag: number | undefined
}

export interface BatchConsumerStatus {
  /** a member of the group with an assignment */
  readonly joined: boolean
  readonly assignment: ReadonlyArray<TopicPartitions>
  readonly bufferedRows: number
  /** why fetching is paused, if it is: backpressure, write-failing, draining */
  readonly pausedFor: ReadonlyArray<string>
  /** the flush loop's last turn, epoch ms: it turns at least every maxBatchMs, and on every retry */
  readonly lastLoopAtMs: number
  readonly lastWriteAtMs: number | undefined
  /** failed attempts of the batch being written now; 0 when the last write went through */
  readonly consecutiveFailures: number
  readonly lastError: string | undefined
  /** per partition this member committed to: the committed offset and how far the high watermark is ahead of it */
  readonly lag: ReadonlyArray<PartitionLag>
}

export interface PartitionLag {
  readonly topic: string
  readonly partition: number
  readonly committedOffset: string
  readonly lag: number
}

export interface BatchConsumer {
  readonly status: Effect.Effect<BatchConsumerStatus>
  /** fails when the kafkajs consumer gave up (a crash it does not restart from); never succeeds */
  readonly failed: Effect.Effect<never, BatchConsumerFailed>
}

export class BatchConsumerFailed extends Schema.TaggedError<BatchConsumerFailed>()("BatchConsumerFailed", {
  groupId: Schema.String,
  stage: Schema.Literals(["connect", "subscribe", "run", "crash", "flush"]),
  reason: Schema.String
}) {
  override get message() {
    const what = this.stage === "crash" ? "keep running" : this.stage === "flush" ? "keep flushing" : this.stage
    return `Kafka consumer of group ${this.groupId} failed to ${what}: ${this.reason}`
  }
}

type PauseReason = "backpressure" | "write-failing" | "draining"

const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

const toRecord = (topic: string, partition: number, message: KafkaMessage): ConsumedRecord => {
  const headers: Record<string, string | undefined> = emptyHeaderMap()
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value
    headers[name] = first === undefined ? undefined : first.toString("utf8")
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    headers,
    timestampMs: Number(message.timestamp)
  }
}

/** The longest the flush loop sleeps between turns. */
const LOOP_TICK_MS = 1000

const backoffMs = (attempt: number, baseMs: number, maxMs: number) =>
  Math.min(maxMs, baseMs * 2 ** Math.min(attempt - 1, 30))

/**
 * Joins the group, consumes in batches and commits after each successful
 * write, until the scope closes (then it drains). The returned handle shows
 * progress for health checks.
 */
export const startBatchConsumer = <E, R>(
  options: BatchConsumerOptions<E, R>
): Effect.Effect<BatchConsumer, BatchConsumerFailed, Scope.Scope | R> =>
  Effect.gen(function* () {
    const { groupId, topics } = options
    const fail = (stage: BatchConsumerFailed["stage"]) => (cause: unknown) =>
      new BatchConsumerFailed({ groupId, stage, reason: reasonOf(cause) })
    const failed = yield* Deferred.make<never, BatchConsumerFailed>()

    const state = {
      pending: new PendingBatch(),
      epoch: 0,
      joined: false,
      assignment: [] as ReadonlyArray<TopicPartitions>,
      pausedFor: new Set<PauseReason>(),
      draining: false,
      drainDeadlineMs: Number.POSITIVE_INFINITY,
      lastLoopAtMs: Date.now(),
      lastWriteAtMs: undefined as number | undefined,
      consecutiveFailures: 0,
      lastError: undefined as string | undefined,
      highWatermarks: new Map<string, { topic: string; partition: number; highWatermark: bigint }>(),
      lag: new Map<string, PartitionLag>(),
      wake: undefined as (() => void) | undefined
    }

    const consumer: Consumer = options.kafka.consumer({
      groupId,
      readUncommitted: false,
      sessionTimeout: options.sessionTimeoutMs,
      heartbeatInterval: options.heartbeatIntervalMs,
      // A fetch waits at most this long for data, so a paused or idle consumer
      // still heartbeats and notices rebalances promptly.
      maxWaitTimeInMs: Math.min(1000, Math.max(100, options.maxBatchMs))
    })

    const pauseFor = (reason: PauseReason) => {
      if (state.pausedFor.size === 0) consumer.pause(topics.map((topic) => ({ topic })))
      state.pausedFor.add(reason)
    }
    const resumeFrom = (reason: PauseReason) => {
      if (!state.pausedFor.delete(reason)) return
      if (state.pausedFor.size === 0) consumer.resume(topics.map((topic) => ({ topic })))
    }
    const noteHighWatermark = (topic: string, partition: number, highWatermark: string) =>
      state.highWatermarks.set(`${topic}\u0000${partition}`, { topic, partition, highWatermark: BigInt(highWatermark) })
    const assigned = (topic: string, partition: number) =>
      state.assignment.some((entry) => entry.topic === topic && entry.partitions.includes(partition))

    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      state.epoch += 1
      state.joined = true
      state.assignment = Object.entries(event.payload.memberAssignment).map(([topic, partitions]) => ({
        topic,
        partitions: [...partitions].sort((a, b) => a - b)
      }))
      state.pending.clear()
      state.lag.clear()
    })
    consumer.on(consumer.events.REBALANCING, () => {
      state.epoch += 1
      state.joined = false
      state.pending.clear()
    })
    // A fetch that held only transaction markers or aborted records never
    // reaches eachBatch, but kafkajs reports it: move the partition on.
    consumer.on(consumer.events.END_BATCH_PROCESS, (event) => {
      const { topic, partition, batchSize, lastOffset, highWatermark } = event.payload
      if (batchSize !== 0 || state.draining || !assigned(topic, partition)) return
      noteHighWatermark(topic, partition, highWatermark)
      state.pending.advance(topic, partition, (BigInt(lastOffset) + 1n).toString(), Date.now())
    })
    consumer.on(consumer.events.CRASH, (event) => {
      if (!event.payload.restart) Deferred.doneUnsafe(failed, Exit.fail(fail("crash")(event.payload.error)))
    })

    yield* Effect.tryPromise({ try: () => consumer.connect(), catch: fail("connect") })
    yield* Effect.addFinalizer(() =>
      Effect.tryPromise(() => consumer.disconnect()).pipe(
        Effect.timeout("30 seconds"),
        Effect.tapCause((cause) => Effect.logWarning("Kafka consumer did not disconnect cleanly", cause)),
        Effect.ignore
      )
    )
    yield* Effect.tryPromise({
      try: () => consumer.subscribe({ topics: [...topics], fromBeginning: options.fromBeginning }),
      catch: fail("subscribe")
    })
    yield* Effect.tryPromise({
      try: () =>
        consumer.run({
          autoCommit: false,
          // Resolving only moves kafkajs's in-memory fetch position; what is
          // committed is decided by the flush below.
          eachBatchAutoResolve: true,
          eachBatch: async ({ batch }) => {
            if (state.draining || !assigned(batch.topic, batch.partition)) return
            noteHighWatermark(batch.topic, batch.partition, batch.highWatermark)
            state.pending.add(
              batch.messages.map((message) => toRecord(batch.topic, batch.partition, message)),
              batch.topic,
              batch.partition,
              (BigInt(batch.lastOffset()) + 1n).toString(),
              Date.now()
            )
            if (state.pending.rows >= options.maxBatchRows) state.wake?.()
            if (state.pending.rows >= options.maxBufferedRows) pauseFor("backpressure")
          }
        }),
      catch: fail("run")
    })

    const waitForWork = Effect.suspend(() => {
      if (state.draining) return Effect.void
      const remaining = state.pending.isEmpty
        ? options.maxBatchMs
        : Math.max(0, options.maxBatchMs - state.pending.ageMs(Date.now()))
      if (remaining === 0 || state.pending.rows >= options.maxBatchRows) return Effect.void
      // The loop turns at least every LOOP_TICK_MS, so health checks see it alive whatever maxBatchMs is.
      const woken = Effect.callback<void>((resume) => {
        state.wake = () => resume(Effect.void)
        return Effect.sync(() => {
          state.wake = undefined
        })
      })
      return Effect.raceFirst(woken, Effect.sleep(Math.min(remaining, LOOP_TICK_MS)))
    })

    const commit = (batch: TakenBatch) =>
      Effect.gen(function* () {
        const offsets = batch.offsets.filter((offset) => assigned(offset.topic, offset.partition))
        if (offsets.length === 0) return
        const committed = yield* Effect.tryPromise(() =>
          consumer.commitOffsets(
            offsets.map(({ topic, partition, nextOffset }) => ({ topic, partition, offset: nextOffset }))
          )
        ).pipe(
          Effect.as(true),
          Effect.catchCause((cause) =>
            // The rows are in; the group re-delivers them and the idempotent write absorbs them.
            Effect.gen(function* () {
              yield* Effect.logWarning("committing offsets failed; the batch will be delivered again", cause)
              if (options.onCommitFailed) yield* options.onCommitFailed(cause)
              return false
            })
          )
        )
        if (!committed) return
        const withLag = offsets.map((offset): CommittedOffset => {
          const key = `${offset.topic}\u0000${offset.partition}`
          const known = state.highWatermarks.get(key)
          const lag = known === undefined ? undefined : Number(known.highWatermark - BigInt(offset.nextOffset))
          state.lag.set(key, {
            topic: offset.topic,
            partition: offset.partition,
            committedOffset: offset.nextOffset,
            lag: Math.max(0, lag ?? 0)
          })
          return { ...offset, lag: lag === undefined ? undefined : Math.max(0, lag) }
        })
        if (options.onCommitted) yield* options.onCommitted(withLag)
      })

    /** Writes a taken batch until it goes through (or the assignment changes, or draining runs out of time), then commits. */
    const flush = (batch: TakenBatch, epoch: number) =>
      Effect.gen(function* () {
        for (let attempt = 1; batch.records.length > 0; attempt++) {
          if (state.epoch !== epoch) {
            yield* Effect.logInfo("rebalanced while a batch waited: dropping it, the group delivers it again").pipe(
              Effect.annotateLogs({ groupId, rows: batch.records.length })
            )
            return
          }
          const exit = yield* Effect.exit(options.write(batch.records))
          state.lastLoopAtMs = Date.now()
          if (Exit.isSuccess(exit)) break
          const retryInMs = backoffMs(attempt, options.retryBaseMs, options.retryMaxMs)
          state.consecutiveFailures = attempt
          state.lastError = Cause.pretty(exit.cause).split("\n")[0]
          pauseFor("write-failing")
          if (options.onWriteFailed) {
            yield* options.onWriteFailed({ cause: exit.cause, attempt, retryInMs, rows: batch.records.length })
          }
          yield* Effect.logWarning("writing a batch failed; partitions paused, retrying").pipe(
            Effect.annotateLogs({ groupId, attempt, retryInMs, rows: batch.records.length, error: state.lastError })
          )
          if (state.draining && Date.now() >= state.drainDeadlineMs) {
            yield* Effect.logWarning("giving up the last batch at shutdown; it stays uncommitted and is read again")
            return
          }
          // Wait in short steps: health checks see the loop alive, and a rebalance or a drain ends the wait early.
          for (const until = Date.now() + retryInMs; Date.now() < until; ) {
            yield* Effect.sleep(Math.min(LOOP_TICK_MS, until - Date.now()))
            state.lastLoopAtMs = Date.now()
            if (state.epoch !== epoch || (state.draining && Date.now() >= state.drainDeadlineMs)) break
          }
        }
        if (batch.records.length > 0) state.lastWriteAtMs = Date.now()
        state.consecutiveFailures = 0
        state.lastError = undefined
        resumeFrom("write-failing")
        if (state.epoch !== epoch) return
        yield* commit(batch)
        if (state.pending.rows < options.maxBufferedRows) resumeFrom("backpressure")
      })

    const flushLoop = Effect.gen(function* () {
      let seenEpoch = 0
      while (true) {
        yield* waitForWork
        state.lastLoopAtMs = Date.now()
        const epoch = state.epoch
        if (epoch !== seenEpoch && state.joined) {
          if (options.onAssigned) yield* options.onAssigned(state.assignment)
          seenEpoch = epoch
        }
        const due =
          state.draining ||
          state.pending.rows >= options.maxBatchRows ||
          state.pending.ageMs(Date.now()) >= options.maxBatchMs
        // Outside the group (between a rebalance and the next assignment) nothing can be committed.
        const member = seenEpoch === epoch
        if (!state.pending.isEmpty && due && member) yield* flush(state.pending.take(options.maxBatchRows), epoch)
        if (state.draining && (state.pending.isEmpty || !member)) return
        if (!member) yield* Effect.sleep(Math.min(100, options.maxBatchMs))
      }
    })

    const flusher = yield* Effect.forkDetach(
      flushLoop.pipe(
        Effect.onExit((exit) =>
          state.draining
            ? Effect.void
            : Deferred.done(
                failed,
                Exit.fail(fail("flush")(Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "stopped"))
              )
        )
      )
    )
    // Runs before the disconnect above (finalizers run in reverse): drain, then leave the group.
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        state.draining = true
        state.drainDeadlineMs = Date.now() + options.drainTimeoutMs
        pauseFor("draining")
        state.wake?.()
        const drained = yield* Fiber.join(flusher).pipe(
          Effect.as(true),
          Effect.timeoutOrElse({ duration: options.drainTimeoutMs, orElse: () => Effect.succeed(false) }),
          Effect.catchCause(() => Effect.succeed(false))
        )
        if (!drained) yield* Fiber.interrupt(flusher)
        yield* Effect.logInfo(drained ? "batch consumer drained" : "batch consumer stopped before draining").pipe(
          Effect.annotateLogs({ groupId })
        )
      })
    )

    const status = Effect.sync(
      (): BatchConsumerStatus => ({
        joined: state.joined,
        assignment: state.assignment,
        bufferedRows: state.pending.rows,
        pausedFor: [...state.pausedFor],
        lastLoopAtMs: state.lastLoopAtMs,
        lastWriteAtMs: state.lastWriteAtMs,
        consecutiveFailures: state.consecutiveFailures,
        lastError: state.lastError,
        lag: [...state.lag.values()]
      })
    )
    return { status, failed: Deferred.await(failed) }
  })
