import { deadLetterHeaderNames, keyMismatch } from "@xpscore/events"
import { Result } from "effect"
import type { IHeaders, KafkaMessage } from "kafkajs"
import { describe, expect, it } from "vitest"
import { deadLetterMessage, originalHeaders, readDeadLetterMessage } from "../src/deadLetters.ts"

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
