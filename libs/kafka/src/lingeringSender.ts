import { Schema } from "effect"
import type { Message, Producer } from "kafkajs"

/** The broker did not take records (after the producer's own retries), or the producer was closed. */
export class ProduceFailed extends Schema.TaggedError<ProduceFailed>()("ProduceFailed", {
  topic: Schema.String,
  records: Schema.Int,
  reason: Schema.String
}) {
  override get message() {
    return `could not write ${this.records} record${this.records === 1 ? "" : "s"} to ${this.topic}: ${this.reason}`
  }
}

export interface LingeringSenderOptions {
  readonly topic: string
  /** how long a record waits for others to share its request */
  readonly lingerMs: number
  readonly maxBatchRecords: number
  /** stays below the broker's message.max.bytes (1 MiB by default) for any partition's share */
  readonly maxBatchBytes: number
}

export interface LingeringSender {
  /** resolves once the broker acknowledged (acks = all) the batch holding this message */
  readonly send: (message: Message, bytes: number) => Promise<void>
  /** sends what is buffered now; resolves when every earlier send has settled */
  readonly flush: () => Promise<void>
  /** flushes, then refuses further sends */
  readonly close: () => Promise<void>
}

interface Waiting {
  readonly message: Message
  readonly resolve: () => void
  readonly reject: (error: ProduceFailed) => void
}

/**
 * kafkajs has no linger: every `send` is a request. This buffers messages
 * for `lingerMs` (or until a batch is full) and sends each batch with one
 * request. Batches go out one after the other, so records of one key keep
 * their order even across batches and retries.
 */
export const makeLingeringSender = (producer: Producer, options: LingeringSenderOptions): LingeringSender => {
  let waiting: Array<Waiting> = []
  let waitingBytes = 0
  let timer: ReturnType<typeof setTimeout> | undefined
  let previous: Promise<void> = Promise.resolve()
  let closed = false

  const dispatch = (): Promise<void> => {
    if (timer !== undefined) clearTimeout(timer)
    timer = undefined
    if (waiting.length === 0) return previous
    const batch = waiting
    waiting = []
    waitingBytes = 0
    previous = previous.then(() =>
      producer.send({ topic: options.topic, acks: -1, messages: batch.map((entry) => entry.message) }).then(
        () => {
          for (const entry of batch) entry.resolve()
        },
        (cause: unknown) => {
          const error = new ProduceFailed({
            topic: options.topic,
            records: batch.length,
            reason: cause instanceof Error ? cause.message : String(cause)
          })
          for (const entry of batch) entry.reject(error)
        }
      )
    )
    return previous
  }

  const send = (message: Message, bytes: number) => {
    if (closed) {
      return Promise.reject(new ProduceFailed({ topic: options.topic, records: 1, reason: "the producer is closed" }))
    }
    if (waiting.length > 0 && waitingBytes + bytes > options.maxBatchBytes) void dispatch()
    const sent = new Promise<void>((resolve, reject) => {
      waiting.push({ message, resolve, reject })
    })
    waitingBytes += bytes
    if (waiting.length >= options.maxBatchRecords) void dispatch()
    else timer ??= setTimeout(dispatch, options.lingerMs)
    return sent
  }

  return {
    send,
    flush: dispatch,
    close: () => {
      closed = true
      return dispatch()
    }
  }
}
