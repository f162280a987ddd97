import { deadLetterHeaderNames, deadLetterTruncationHeaderNames, keyMismatch } from "@xpscore/events"
import { Result } from "effect"
import fc from "fast-check"
import type { IHeaders, KafkaMessage, Message } from "kafkajs"
import { describe, expect, it } from "vitest"
import {
  deadLetterMessage,
  headersAsText,
  MAX_DEAD_LETTER_BYTES,
  originalHeaders,
  readDeadLetterMessage
} from "../src/deadLetters.ts"

const consumed = (headers: IHeaders): KafkaMessage => ({
  key: Buffer.from("customer-1"),
  value: Buffer.from([0xff, 0xfe, 0x00, 0x7b]),
  headers,
  offset: "9007199254740993",
  timestamp: "1700000000000",
  attributes: 0
})

const reason = { step: "decode" as const, path: "$", rule: "utf8" as const, detail: "the bytes are not valid UTF-8" }
const origin = { topic: "xp.interactions", partition: 4, consumerGroup: "xpscore-scorer" }

describe("deadLetterMessage", () => {
  it("keeps the original key, value and headers byte for byte, and adds the reason and source coordinates", () => {
    const original = consumed({ "content-type": Buffer.from("application/cloudevents+json"), trace: ["a", "b"] })
    const letter = deadLetterMessage(origin, original, reason, Date.UTC(2024, 4, 1))
    expect(letter.key).toBe(original.key)
    expect(letter.value).toBe(original.value)
    expect(originalHeaders(letter.headers)).toEqual(original.headers)
    const read = readDeadLetterMessage(consumed(letter.headers!))
    expect(read).toEqual(
      Result.succeed({
        ...reason,
        source: {
          topic: "xp.interactions",
          partition: 4,
          offset: "9007199254740993",
          consumerGroup: "xpscore-scorer",
          timeMs: Date.UTC(2024, 4, 1)
        }
      })
    )
  })

  it("replaces the dead-letter headers of a re-driven record that fails again, instead of doubling them", () => {
    const first = deadLetterMessage(origin, consumed({}), keyMismatch("x", "y"), 0)
    const again = deadLetterMessage(origin, consumed(first.headers!), reason, 1_000)
    expect(again.headers![deadLetterHeaderNames.rule]).toBe("utf8")
    expect(again.headers![deadLetterHeaderNames.step]).toBe("decode")
    expect(Object.keys(again.headers!).filter((name) => name === deadLetterHeaderNames.reason)).toHaveLength(1)
  })
})

/** A produce request's weight of a message, as the transactional processor counts it. */
const weight = (letter: Message) =>
  64 +
  (letter.key === null || letter.key === undefined ? 0 : Buffer.byteLength(letter.key)) +
  (letter.value === null ? 0 : Buffer.byteLength(letter.value)) +
  Object.entries(letter.headers ?? {}).reduce(
    (sum, [name, header]) =>
      sum + name.length + 8 + [header ?? []].flat().reduce((s, part) => s + Buffer.byteLength(part), 0),
    0
  )

const sized = (bytes: number, fill: number) => Buffer.alloc(bytes, fill)

describe("deadLetterMessage of a record too large for the dead-letter topic", () => {
  it("keeps the first bytes of a 10 MB value, says how long it was, and fits the topic", () => {
    const value = sized(10 * 1024 * 1024, 0x78)
    const letter = deadLetterMessage(
      origin,
      { ...consumed({ "content-type": Buffer.from("application/cloudevents+json") }), value },
      { step: "decode", path: "$", rule: "size", detail: "the record is larger than 65536 bytes" },
      0
    )
    expect(weight(letter)).toBeLessThanOrEqual(MAX_DEAD_LETTER_BYTES)
    expect(Buffer.compare(letter.value as Buffer, value.subarray(0, (letter.value as Buffer).length))).toBe(0)
    expect((letter.value as Buffer).length).toBeGreaterThan(MAX_DEAD_LETTER_BYTES - 2048)
    expect(letter.headers!["content-type"]).toEqual(Buffer.from("application/cloudevents+json"))
    const read = readDeadLetterMessage(consumed(letter.headers!))
    expect(Result.isSuccess(read) && read.success.truncated).toEqual({ valueBytes: 10 * 1024 * 1024 })
    expect(Result.isSuccess(read) && read.success.rule).toBe("size")
  })

  it("whatever the sizes of key, value and headers: the letter fits, keeps what fits unchanged, and says what it cut", () => {
    const fits = MAX_DEAD_LETTER_BYTES - 4096
    fc.assert(
      fc.property(
        fc.option(fc.constantFrom(0, 10, 1024, 5000, 2_000_000), { nil: null }),
        fc.constantFrom(0, 100, 60_000, fits, 1_000_000, 3_000_000),
        fc.constantFrom(0, 200, 70_000, 1_200_000),
        (keyBytes, valueBytes, headerSize) => {
          const key = keyBytes === null ? null : sized(keyBytes, 0x6b)
          const value = sized(valueBytes, 0x76)
          const headers = headerSize === 0 ? {} : { trace: sized(headerSize, 0x68) }
          const letter = deadLetterMessage(origin, { ...consumed(headers), key, value }, reason, 0)
          expect(weight(letter)).toBeLessThanOrEqual(MAX_DEAD_LETTER_BYTES)
          const text = headersAsText(letter.headers)
          const original = 64 + (keyBytes ?? 0) + valueBytes + (headerSize === 0 ? 0 : headerSize + 13)
          if (original + 1024 <= MAX_DEAD_LETTER_BYTES) {
            expect(letter.key).toBe(key)
            expect(letter.value).toBe(value)
            expect(originalHeaders(letter.headers)).toEqual(headers)
            expect(Object.values(deadLetterTruncationHeaderNames).some((name) => name in text)).toBe(false)
            return
          }
          const storedKey = letter.key as Buffer | null
          const storedValue = letter.value as Buffer
          expect(storedValue.equals(value.subarray(0, storedValue.length))).toBe(true)
          expect(text[deadLetterTruncationHeaderNames.valueBytes]).toBe(
            storedValue.length < valueBytes ? String(valueBytes) : undefined
          )
          if (key !== null) {
            expect(storedKey!.equals(key.subarray(0, storedKey!.length))).toBe(true)
            expect(text[deadLetterTruncationHeaderNames.keyBytes]).toBe(
              storedKey!.length < key.length ? String(key.length) : undefined
            )
          }
          const headersKept = Object.keys(originalHeaders(letter.headers)).length > 0
          if (headerSize > 0) {
            expect(text[deadLetterTruncationHeaderNames.headersBytes]).toBe(
              headersKept ? undefined : String("trace".length + 8 + headerSize)
            )
          }
        }
      ),
      { numRuns: 200 }
    )
  })
})
