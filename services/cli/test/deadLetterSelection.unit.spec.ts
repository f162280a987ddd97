import { deadLetterHeaders, readDeadLetter } from "@xpscore/events"
import { type DeadLetterEntry, originalAttributes } from "@xpscore/kafka"
import { describe, expect, it } from "vitest"
import { countByRule, everything, reasonOf, selectDeadLetters, selectsSomething } from "../src/deadLetterSelection.ts"

const letter = (
  offset: number,
  rule: "range" | "unknown-version" | "json",
  timeMs: number,
  source: string
): DeadLetterEntry => {
  const headers = deadLetterHeaders({
    step: "decode",
    path: rule === "range" ? "data.quality" : rule === "json" ? "$" : "type",
    rule,
    detail: rule === "unknown-version" ? '"xp.touchpoint.v2" is a version this reader does not know' : "bad",
    source: { topic: "xp.interactions", partition: 1, offset: String(offset * 10), consumerGroup: "xp.scorer", timeMs }
  })
  const value = Buffer.from(JSON.stringify({ source, type: "xp.touchpoint.v2", id: `e-${offset}`, subject: "c-1" }))
  return {
    topic: "xp.dead-letters",
    partition: 0,
    offset: String(offset),
    timestampMs: timeMs,
    key: Buffer.from("c-1"),
    value,
    headers,
    info: readDeadLetter(headers),
    redrive: undefined,
    original: originalAttributes(value)
  }
}

const letters = [
  letter(1, "range", 1_000, "checkout"),
  letter(2, "unknown-version", 2_000, "chat-sentiment"),
  letter(3, "unknown-version", 3_000, "checkout"),
  letter(4, "json", 4_000, "delivery")
]

const offsetsOf = (entries: ReadonlyArray<DeadLetterEntry>) => entries.map((e) => e.offset)

describe("selecting dead letters", () => {
  it("by rule, by words of the reason, by time, by producer and by offset; every criterion must hold", () => {
    expect(offsetsOf(selectDeadLetters(letters, { ...everything, rules: ["unknown-version"] }))).toEqual(["2", "3"])
    expect(offsetsOf(selectDeadLetters(letters, { ...everything, reason: "XP.TOUCHPOINT.V2" }))).toEqual(["2", "3"])
    expect(offsetsOf(selectDeadLetters(letters, { ...everything, sinceMs: 2_000, untilMs: 4_000 }))).toEqual(["2", "3"])
    expect(offsetsOf(selectDeadLetters(letters, { ...everything, source: "checkout" }))).toEqual(["1", "3"])
    expect(offsetsOf(selectDeadLetters(letters, { ...everything, offsets: ["4", "0:1"] }))).toEqual(["1", "4"])
    expect(
      offsetsOf(selectDeadLetters(letters, { ...everything, rules: ["unknown-version"], source: "checkout" }))
    ).toEqual(["3"])
    expect(selectDeadLetters(letters, everything)).toEqual(letters)
  })

  it("knows when nothing was chosen, counts by rule, and reads the reason back", () => {
    expect(selectsSomething(everything)).toBe(false)
    expect(selectsSomething({ ...everything, offsets: ["3"] })).toBe(true)
    expect(countByRule(letters)).toEqual([
      { rule: "unknown-version", count: 2 },
      { rule: "json", count: 1 },
      { rule: "range", count: 1 }
    ])
    expect(reasonOf(letters[0]!)).toBe("data.quality: range: bad")
  })
})
