import {
  type DeadLetterInfo,
  type DeadLetterReason,
  type DeadLetterUnreadable,
  deadLetterHeaders,
  isDeadLetterHeader,
  readDeadLetter
} from "@xpscore/events"
import type { Result } from "effect"
import type { IHeaders, KafkaMessage, Message } from "kafkajs"

/** Where a dead-lettered record was read, and by whom. */
export interface DeadLetterOrigin {
  readonly topic: string
  readonly partition: number
  readonly consumerGroup: string
}

/**
 * The dead letter of a consumed record: its key, value and headers exactly
 * as they were (byte for byte: a re-drive sends them again), plus the
 * dead-letter headers (`@xpscore/events` deadLetter.ts). Dead-letter headers
 * the record already carried (a re-driven record that failed again) are
 * replaced, never doubled.
 */
export const deadLetterMessage = (
  origin: DeadLetterOrigin,
  message: KafkaMessage,
  reason: DeadLetterReason,
  nowMs: number
): Message => {
  const headers: IHeaders = {}
  if (message.headers !== undefined) {
    for (const name in message.headers) {
      const value = message.headers[name]
      if (value !== undefined && !isDeadLetterHeader(name)) headers[name] = value
    }
  }
  const added = deadLetterHeaders({
    ...reason,
    source: {
      topic: origin.topic,
      partition: origin.partition,
      offset: message.offset,
      consumerGroup: origin.consumerGroup,
      timeMs: nowMs
    }
  })
  for (const name in added) headers[name] = added[name]
  return { key: message.key, value: message.value, headers }
}

/** Header values as text (the first value of a repeated header), as the dead-letter readers want them. */
export const headersAsText = (headers: IHeaders | undefined): Record<string, string | undefined> => {
  const text: Record<string, string | undefined> = {}
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
  const original: IHeaders = {}
  if (headers === undefined) return original
  for (const name in headers) {
    const value = headers[name]
    if (value !== undefined && !isDeadLetterHeader(name)) original[name] = value
  }
  return original
}
