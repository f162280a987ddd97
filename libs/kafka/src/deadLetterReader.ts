import type { DeadLetterInfo, DeadLetterUnreadable } from "@xpscore/events"
import { Effect, Result } from "effect"
import type { IHeaders, Kafka } from "kafkajs"
import { readDeadLetterMessage } from "./deadLetters.ts"
import { readToEnd } from "./readToEnd.ts"
import { type RedriveInfo, readRedrive } from "./redrive.ts"

/**
 * The CloudEvents attributes of a dead letter's original value, where it is
 * JSON with them: a record that does not decode as an event may still name
 * its producer, and operators filter by it.
 */
export interface OriginalAttributes {
  readonly source: string | undefined
  readonly type: string | undefined
  readonly id: string | undefined
  readonly subject: string | undefined
}

/** One record of the dead-letter topic, read back. */
export interface DeadLetterEntry {
  readonly topic: string
  readonly partition: number
  /** 64-bit offset as the decimal string kafkajs gives */
  readonly offset: string
  /** when the dead letter was written (Kafka timestamp) */
  readonly timestampMs: number
  /** the original key and value, byte for byte */
  readonly key: Buffer | null
  readonly value: Buffer | null
  /** every header: the original record's and the dead-letter ones */
  readonly headers: IHeaders
  /** what the dead-letter headers say, or why they cannot be read (not written by xpscore) */
  readonly info: Result.Result<DeadLetterInfo, DeadLetterUnreadable>
  /** set when the original had been re-driven before and failed again */
  readonly redrive: RedriveInfo | undefined
  readonly original: OriginalAttributes
}

const text = (value: unknown) => (typeof value === "string" ? value : undefined)

/** The CloudEvents attributes of a value, when it parses as a JSON object; otherwise all undefined. */
export const originalAttributes = (value: Buffer | null): OriginalAttributes => {
  const none = { source: undefined, type: undefined, id: undefined, subject: undefined }
  if (value === null || value.length === 0 || value[0] !== 0x7b) return none
  try {
    const parsed: unknown = JSON.parse(value.toString("utf8"))
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return none
    const record = parsed as Record<string, unknown>
    return { source: text(record.source), type: text(record.type), id: text(record.id), subject: text(record.subject) }
  } catch {
    return none
  }
}

/**
 * Every record of a dead-letter topic up to its end as of the start of the
 * read (read_committed: the scorer writes dead letters in its transactions),
 * in partition and offset order.
 */
export const readDeadLetters = (kafka: Kafka, topic: string) =>
  Effect.gen(function* () {
    const entries: Array<DeadLetterEntry> = []
    yield* readToEnd({
      kafka,
      topic,
      groupIdPrefix: "xpscore-dead-letters",
      stallTimeoutMs: 30_000,
      onMessages: (partition, messages) => {
        for (const message of messages) {
          entries.push({
            topic,
            partition,
            offset: message.offset,
            timestampMs: Number(message.timestamp),
            key: message.key,
            value: message.value,
            headers: message.headers ?? {},
            info: readDeadLetterMessage(message),
            redrive: readRedrive(message.headers),
            original: originalAttributes(message.value)
          })
        }
      }
    })
    return entries as ReadonlyArray<DeadLetterEntry>
  })

/** The dead letter's reason when it has readable headers. */
export const deadLetterInfoOf = (entry: DeadLetterEntry): DeadLetterInfo | undefined =>
  Result.isSuccess(entry.info) ? entry.info.success : undefined
