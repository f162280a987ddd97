import { formatTimestamp, parseTimestamp } from "@xpscore/events"
import { Effect, Schema } from "effect"
import type { IHeaders, Kafka, Message } from "kafkajs"
import { originalHeaders } from "./deadLetters.ts"
import { emptyHeaderMap } from "./headerMap.ts"
import { murmur2Partitioner } from "./murmur2Partitioner.ts"

/**
 * Headers a re-driven record carries beside its original ones. They do not
 * start with `xpscore-dlq-`, so when the record fails again its new dead
 * letter keeps them: the operator sees it was re-driven, from where, and how
 * often.
 *
 * | header | value |
 * | --- | --- |
 * | `xpscore-redrive-of` | the dead letter it was re-driven from: `topic:partition:offset` |
 * | `xpscore-redrive-time` | when, RFC 3339 UTC with milliseconds |
 * | `xpscore-redrive-count` | how many times this original has been re-driven (1, 2, …) |
 */
export const redriveHeaderNames = {
  of: "xpscore-redrive-of",
  time: "xpscore-redrive-time",
  count: "xpscore-redrive-count"
} as const

export interface RedriveInfo {
  /** `topic:partition:offset` of the dead letter it was re-driven from */
  readonly of: string
  readonly timeMs: number | undefined
  readonly count: number
}

const firstText = (headers: IHeaders | undefined, name: string) => {
  const value = headers?.[name]
  const first = Array.isArray(value) ? value[0] : value
  return first === undefined ? undefined : first.toString()
}

/** The redrive headers of a record, when it has been re-driven. */
export const readRedrive = (headers: IHeaders | undefined): RedriveInfo | undefined => {
  const of = firstText(headers, redriveHeaderNames.of)
  if (of === undefined) return undefined
  const time = firstText(headers, redriveHeaderNames.time)
  const count = Number(firstText(headers, redriveHeaderNames.count) ?? "1")
  return {
    of,
    timeMs: time === undefined ? undefined : parseTimestamp(time),
    count: Number.isInteger(count) && count > 0 ? count : 1
  }
}

/** A dead letter as {@link redriveMessage} needs it. */
export interface RedriveSource {
  readonly topic: string
  readonly partition: number
  readonly offset: string
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: IHeaders
}

/**
 * The original record again: its key and value byte for byte, its own
 * headers (the dead-letter ones removed), and the redrive headers (an
 * earlier redrive's replaced, its count carried on).
 */
export const redriveMessage = (letter: RedriveSource, nowMs: number): Message => {
  const headers: IHeaders = emptyHeaderMap()
  const original = originalHeaders(letter.headers)
  for (const name in original) {
    if (name !== redriveHeaderNames.of && name !== redriveHeaderNames.time && name !== redriveHeaderNames.count) {
      headers[name] = original[name]
    }
  }
  const earlier = readRedrive(letter.headers)
  headers[redriveHeaderNames.of] = `${letter.topic}:${letter.partition}:${letter.offset}`
  headers[redriveHeaderNames.time] = formatTimestamp(nowMs)
  headers[redriveHeaderNames.count] = String((earlier?.count ?? 0) + 1)
  return { key: letter.key, value: letter.value, headers }
}

export class RedriveFailed extends Schema.TaggedError<RedriveFailed>()("RedriveFailed", {
  topic: Schema.String,
  sent: Schema.Int,
  reason: Schema.String
}) {
  override get message() {
    return `re-driving to ${this.topic} failed after ${this.sent} records: ${this.reason} (those are in the topic: select the rest by --offset rather than re-driving them again)`
  }
}

const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

const CHUNK = 500

/**
 * Publishes the originals of `letters` to `topic`, keyed and partitioned as
 * the producer SDK does (murmur2 of the key), so each lands in its
 * customer's partition; idempotent producer, acknowledged by all replicas,
 * one chunk after the other so their order is kept. Returns how many were
 * sent.
 */
export const redriveDeadLetters = (
  kafka: Kafka,
  topic: string,
  letters: ReadonlyArray<RedriveSource>,
  onProgress: (sent: number) => void = () => undefined
) =>
  Effect.acquireUseRelease(
    Effect.tryPromise({
      try: async () => {
        const producer = kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          createPartitioner: murmur2Partitioner
        })
        await producer.connect()
        return producer
      },
      catch: (cause) => new RedriveFailed({ topic, sent: 0, reason: reasonOf(cause) })
    }),
    (producer) =>
      Effect.gen(function* () {
        let sent = 0
        for (let i = 0; i < letters.length; i += CHUNK) {
          const chunk = letters.slice(i, i + CHUNK)
          const nowMs = Date.now()
          yield* Effect.tryPromise({
            try: () =>
              producer.send({ topic, acks: -1, messages: chunk.map((letter) => redriveMessage(letter, nowMs)) }),
            catch: (cause) => new RedriveFailed({ topic, sent, reason: reasonOf(cause) })
          })
          sent += chunk.length
          onProgress(sent)
        }
        return sent
      }),
    (producer) => Effect.promise(() => producer.disconnect()).pipe(Effect.ignore)
  )
