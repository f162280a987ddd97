import {
  type DeadLetterInfo,
  type DeadLetterReason,
  type DeadLetterUnreadable,
  deadLetterHeaders,
  deadLetterTruncationHeaderNames,
  isDeadLetterHeader,
  readDeadLetter
} from "@xpscore/events"
import type { Result } from "effect"
import type { IHeaders, KafkaMessage, Message } from "kafkajs"
import { emptyHeaderMap } from "./headerMap.ts"

/** Where a dead-lettered record was read, and by whom. */
export interface DeadLetterOrigin {
  readonly topic: string
  readonly partition: number
  readonly consumerGroup: string
}

/**
 * The most a dead letter may weigh (key, value, headers, counted as the
 * transactional processor counts produce requests). The broker refuses a
 * record batch above the dead-letter topic's message.max.bytes (1 MiB + 12 by
 * default), and a transaction that cannot write its dead letter fails again
 * on every retry: the partition would stop behind one oversized record.
 */
export const MAX_DEAD_LETTER_BYTES = 900_000

/** Original headers larger than this are dropped (whole) from a dead letter that does not fit. */
const MAX_KEPT_HEADER_BYTES = 64 * 1024
/** A key longer than this is no customer id (at most 256 code points): a letter that does not fit keeps this much. */
const MAX_KEPT_KEY_BYTES = 1024

type HeaderValue = IHeaders[string]

const sizeOf = (value: Buffer | string | null | undefined): number =>
  value === null || value === undefined ? 0 : typeof value === "string" ? Buffer.byteLength(value) : value.length

const headerBytes = (headers: Readonly<Record<string, HeaderValue>>): number => {
  let size = 0
  for (const [name, header] of Object.entries(headers)) {
    size += name.length + 8
    if (header === undefined) continue
    for (const part of Array.isArray(header) ? header : [header]) size += sizeOf(part)
  }
  return size
}

const firstBytes = (value: Buffer | string, bytes: number): Buffer =>
  (typeof value === "string" ? Buffer.from(value) : value).subarray(0, Math.max(0, bytes))

/**
 * The dead letter of a consumed record: its key, value and headers exactly
 * as they were (byte for byte: a re-drive sends them again), plus the
 * dead-letter headers (`@xpscore/events` deadLetter.ts). Dead-letter headers
 * the record already carried (a re-driven record that failed again) are
 * replaced, never doubled.
 *
 * A record too large for the dead-letter topic (the source topic allows more
 * than {@link MAX_DEAD_LETTER_BYTES}) is cut to fit, and the letter says
 * what was cut (`deadLetterTruncationHeaderNames`): original headers above
 * 64 KiB are dropped, a key above 1 KiB keeps its first KiB, the value keeps
 * as many of its first bytes as fit. The original stays on the source topic.
 */
export const deadLetterMessage = (
  origin: DeadLetterOrigin,
  message: KafkaMessage,
  reason: DeadLetterReason,
  nowMs: number
): Message => {
  let kept: IHeaders = emptyHeaderMap()
  if (message.headers !== undefined) {
    for (const name in message.headers) {
      const value = message.headers[name]
      if (value !== undefined && !isDeadLetterHeader(name)) kept[name] = value
    }
  }
  const added: Record<string, string> = deadLetterHeaders({
    ...reason,
    source: {
      topic: origin.topic,
      partition: origin.partition,
      offset: message.offset,
      consumerGroup: origin.consumerGroup,
      timeMs: nowMs
    }
  })
  let key: Buffer | string | null = message.key
  let value: Buffer | string | null = message.value
  const total = () => 64 + sizeOf(key) + sizeOf(value) + headerBytes(kept) + headerBytes(added)
  if (total() > MAX_DEAD_LETTER_BYTES) {
    // room for the size headers this adds
    const room = MAX_DEAD_LETTER_BYTES - 3 * 64
    const keptBytes = headerBytes(kept)
    if (keptBytes > MAX_KEPT_HEADER_BYTES) {
      added[deadLetterTruncationHeaderNames.headersBytes] = String(keptBytes)
      kept = emptyHeaderMap()
    }
    if (key !== null && sizeOf(key) > MAX_KEPT_KEY_BYTES) {
      added[deadLetterTruncationHeaderNames.keyBytes] = String(sizeOf(key))
      key = firstBytes(key, MAX_KEPT_KEY_BYTES)
    }
    const valueRoom = room - (total() - sizeOf(value))
    if (value !== null && sizeOf(value) > valueRoom) {
      added[deadLetterTruncationHeaderNames.valueBytes] = String(sizeOf(value))
      value = firstBytes(value, valueRoom)
    }
  }
  const headers: IHeaders = kept
  for (const name in added) headers[name] = added[name]
  return { key, value, headers }
}

/** Header values as text (the first value of a repeated header), as the dead-letter readers want them. */
export const headersAsText = (headers: IHeaders | undefined): Record<string, string | undefined> => {
  const text: Record<string, string | undefined> = emptyHeaderMap()
  if (headers === undefined) return text
  for (const name in headers) {
    const value = headers[name]
    const first = Array.isArray(value) ? value[0] : value
    text[name] = first === undefined ? undefined : first.toString()
  }
  return text
}

/** What a dead letter on the topic says about itself. */
export const readDeadLetterMessage = (message: KafkaMessage): Result.Result<DeadLetterInfo, DeadLetterUnreadable> =>
  readDeadLetter(headersAsText(message.headers))

/** The headers the record had before it was dead-lettered: what a re-drive sends. */
export const originalHeaders = (headers: IHeaders | undefined): IHeaders => {
  const original: IHeaders = emptyHeaderMap()
  if (headers === undefined) return original
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined && !isDeadLetterHeader(name)) original[name] = value
  }
  return original
}
