import { deadLetterHeaderNames, isDeadLetterHeader } from "@xpscore/events"
import fc from "fast-check"
import type { IHeaders } from "kafkajs"
import { describe, expect, it } from "vitest"
import { deadLetterMessage } from "../src/deadLetters.ts"
import { readRedrive, redriveHeaderNames, redriveMessage } from "../src/redrive.ts"

const reason = { step: "decode" as const, path: "type", rule: "unknown-version" as const, detail: "xp.touchpoint.v2" }

const letterOf = (key: Buffer | null, value: Buffer, headers: IHeaders, offset = "17") => {
  const dead = deadLetterMessage(
    { topic: "xp.interactions", partition: 2, consumerGroup: "xp.scorer" },
    { key, value, headers, offset, timestamp: "0", attributes: 0 },
    reason,
    Date.UTC(2024, 0, 1)
  )
  return {
    topic: "xp.dead-letters",
    partition: 0,
    offset,
    key,
    value,
    headers: dead.headers as IHeaders
  }
}

describe("redriveMessage", () => {
  it("sends the original key, value and headers byte for byte, without the dead-letter headers, naming where it came from", () => {
    fc.assert(
      fc.property(
        fc.option(fc.uint8Array({ maxLength: 40 }), { nil: null }),
        fc.uint8Array({ maxLength: 200 }),
        fc.dictionary(
          fc.string({ minLength: 1, maxLength: 12 }).filter((name) => !name.startsWith("xpscore-")),
          fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.from(bytes))
        ),
        (key, value, headers) => {
          const letter = letterOf(key === null ? null : Buffer.from(key), Buffer.from(value), headers)
          const sent = redriveMessage(letter, Date.UTC(2024, 1, 1))
          expect(sent.key).toBe(letter.key)
          expect(sent.value).toBe(letter.value)
          const {
            [redriveHeaderNames.of]: of,
            [redriveHeaderNames.time]: _t,
            [redriveHeaderNames.count]: count,
            ...rest
          } = sent.headers as IHeaders
          expect(rest).toEqual(headers)
          expect(Object.keys(sent.headers!).some(isDeadLetterHeader)).toBe(false)
          expect(of).toBe("xp.dead-letters:0:17")
          expect(count).toBe("1")
        }
      )
    )
  })

  it("keeps a header named __proto__ (Kafka allows any name; kafkajs decodes it as an own property)", () => {
    // as kafkajs decodes it: an own property (an object literal's `__proto__:` would set the prototype)
    const headers: IHeaders = Object.fromEntries([
      ["__proto__", Buffer.from("p")],
      ["trace", Buffer.from("t")]
    ])
    expect(Object.keys(headers)).toEqual(["__proto__", "trace"])
    const sent = redriveMessage(letterOf(Buffer.from("c-1"), Buffer.from("{}"), headers), 1_000)
    expect(Object.keys(sent.headers!).filter((name) => !name.startsWith("xpscore-redrive-"))).toEqual([
      "__proto__",
      "trace"
    ])
    expect(Object.getOwnPropertyDescriptor(sent.headers, "__proto__")?.value).toEqual(Buffer.from("p"))
  })

  it("counts a second redrive of an original that failed again, replacing the first's headers", () => {
    const first = redriveMessage(letterOf(Buffer.from("c-1"), Buffer.from("{}"), { trace: Buffer.from("t") }), 1_000)
    // it fails again: the scorer dead-letters it with the redrive headers kept
    const again = letterOf(Buffer.from("c-1"), Buffer.from("{}"), first.headers as IHeaders, "99")
    expect(again.headers[deadLetterHeaderNames.rule]).toBe("unknown-version")
    expect(readRedrive(again.headers)).toEqual({ of: "xp.dead-letters:0:17", timeMs: 1_000, count: 1 })
    const second = redriveMessage(again, 2_000)
    expect(readRedrive(second.headers)).toEqual({ of: "xp.dead-letters:0:99", timeMs: 2_000, count: 2 })
    expect(second.headers!.trace).toEqual(Buffer.from("t"))
  })
})
