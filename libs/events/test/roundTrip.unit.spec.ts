import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  currentRegistry,
  decodeEvent,
  decodeEventOrThrow,
  earliestEventTimeMs,
  encodeEvent,
  encodeEventJson,
  formatTimestamp,
  latestEventTimeExclusiveMs,
  parseTimestamp
} from "../src/index.ts"
import { arbitraryWireEvent, arbitraryXpEvent } from "../src/testing/index.ts"

describe("encoding and decoding", () => {
  it("encode ∘ decode is the identity on valid wire events (as JSON values)", () => {
    fc.assert(
      fc.property(arbitraryWireEvent, (wire) => {
        const json = JSON.stringify(wire)
        const decoded = decodeEventOrThrow(currentRegistry, json)
        expect(JSON.parse(encodeEventJson(decoded))).toEqual(JSON.parse(json))
      }),
      { numRuns: 1000 }
    )
  })

  it("decode ∘ encode is the identity on decoded events, bytes and text alike", () => {
    fc.assert(
      fc.property(arbitraryXpEvent, (event) => {
        const text = encodeEventJson(event)
        expect(decodeEventOrThrow(currentRegistry, text)).toEqual(event)
        expect(decodeEventOrThrow(currentRegistry, new TextEncoder().encode(text))).toEqual(event)
      }),
      { numRuns: 1000 }
    )
  })

  it("gives timeMs, the epoch milliseconds of time, and a version-free kind", () => {
    fc.assert(
      fc.property(arbitraryXpEvent, (event) => {
        expect(event.timeMs).toBe(Date.parse(event.time))
        expect(event.type).toBe(`xp.${event.kind}.v1`)
      })
    )
  })

  it("writes the CloudEvents attributes in a fixed order, data last", () => {
    const event = decodeEventOrThrow(currentRegistry, {
      data: { quality: 1 },
      channel: "web",
      time: "2024-05-01T12:00:00.000Z",
      subject: "c",
      type: "xp.touchpoint.v1",
      source: "s",
      id: "e",
      specversion: "1.0"
    })
    expect(Object.keys(encodeEvent(event))).toEqual([
      "specversion",
      "id",
      "source",
      "type",
      "subject",
      "time",
      "channel",
      "data"
    ])
  })

  it("decodes the same bytes to the same event every time (no clock, no state)", () => {
    fc.assert(
      fc.property(arbitraryWireEvent, (wire) => {
        const bytes = new TextEncoder().encode(JSON.stringify(wire))
        const first = decodeEvent(currentRegistry, bytes)
        const second = decodeEvent(currentRegistry, bytes)
        expect(Result.isSuccess(first) && Result.isSuccess(second) && first.success).toEqual(
          Result.isSuccess(second) && second.success
        )
      }),
      { numRuns: 200 }
    )
  })
})

describe("event times", () => {
  it("parse back every millisecond of the accepted range", () => {
    fc.assert(
      fc.property(fc.integer({ min: earliestEventTimeMs, max: latestEventTimeExclusiveMs - 1 }), (ms) => {
        expect(parseTimestamp(formatTimestamp(ms))).toBe(ms)
      }),
      { numRuns: 5000 }
    )
  })

  it("are exactly the strings that JavaScript's own ISO format round-trips", () => {
    const candidates = fc.oneof(
      fc.integer({ min: Date.UTC(1999, 0, 1), max: Date.UTC(2101, 0, 1) }).map(formatTimestamp),
      fc.stringMatching(/^\d{4}-[01]\d-[0-3]\dT[0-2]\d:[0-6]\d:[0-6]\d\.\d{3}Z$/)
    )
    fc.assert(
      fc.property(candidates, (text) => {
        const date = new Date(text)
        const roundTrips = !Number.isNaN(date.getTime()) && date.toISOString() === text
        expect(parseTimestamp(text) !== undefined).toBe(roundTrips)
      }),
      { numRuns: 5000 }
    )
  })
})
