import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  currentRegistry,
  type DeadLetterInfo,
  deadLetterHeaderNames,
  deadLetterHeaders,
  deadLetterTruncationHeaderNames,
  decodeEvent,
  isDeadLetterHeader,
  keyMismatch,
  readDeadLetter
} from "../src/index.ts"
import { arbitraryInvalidRecord, invalidSamples } from "../src/testing/index.ts"

const arbitrarySource = fc.record({
  topic: fc.stringMatching(/^[A-Za-z0-9._-]{1,60}$/),
  partition: fc.integer({ min: 0, max: 2_147_483_647 }),
  offset: fc.bigInt({ min: 0n, max: 2n ** 63n - 1n }).map(String),
  consumerGroup: fc.string({ minLength: 1, maxLength: 40 }),
  timeMs: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) - 1 })
})

/** The reason of a real rejection: what the scorer dead-letters. */
const arbitraryDecodeFailure = arbitraryInvalidRecord.map((sample) => {
  const result = decodeEvent(currentRegistry, sample.raw)
  if (Result.isSuccess(result)) throw new Error("an invalid sample decoded")
  const { path, rule, detail } = result.failure
  return { step: "decode" as const, path, rule, detail }
})

const arbitraryRouteFailure = fc
  .tuple(fc.option(fc.string({ maxLength: 30 }), { nil: null }), fc.string({ minLength: 1, maxLength: 30 }))
  .map(([key, subject]) => keyMismatch(key, subject))

describe("dead-letter headers", () => {
  it("read back exactly what was written, for every rejection the decoder gives and every key mismatch", () => {
    fc.assert(
      fc.property(fc.oneof(arbitraryDecodeFailure, arbitraryRouteFailure), arbitrarySource, (reason, source) => {
        const info: DeadLetterInfo = { ...reason, source }
        const headers = deadLetterHeaders(info)
        expect(Object.keys(headers).every(isDeadLetterHeader)).toBe(true)
        expect(readDeadLetter(headers)).toEqual(Result.succeed(info))
      }),
      { numRuns: 500 }
    )
  })

  it("carry the reason as path: rule: detail, as producers see it from the SDK", () => {
    const sample = invalidSamples.find((s) => s.rule === "range")!
    const rejected = decodeEvent(currentRegistry, sample.raw)
    if (Result.isSuccess(rejected)) throw new Error("expected a rejection")
    const headers = deadLetterHeaders({
      step: "decode",
      ...rejected.failure,
      source: { topic: "xp.interactions", partition: 3, offset: "42", consumerGroup: "xpscore-scorer", timeMs: 0 }
    })
    expect(headers[deadLetterHeaderNames.reason]).toBe(rejected.failure.message)
    expect(headers).toMatchObject({
      [deadLetterHeaderNames.step]: "decode",
      [deadLetterHeaderNames.rule]: "range",
      [deadLetterHeaderNames.sourceTopic]: "xp.interactions",
      [deadLetterHeaderNames.sourcePartition]: "3",
      [deadLetterHeaderNames.sourceOffset]: "42",
      [deadLetterHeaderNames.consumerGroup]: "xpscore-scorer",
      [deadLetterHeaderNames.time]: "1970-01-01T00:00:00.000Z"
    })
  })

  it("name the header that is missing or malformed when a record is not a dead letter", () => {
    const headers = deadLetterHeaders({
      ...keyMismatch("a", "b"),
      source: { topic: "t", partition: 0, offset: "1", consumerGroup: "g", timeMs: Date.UTC(2024, 0, 1) }
    })
    const { [deadLetterHeaderNames.sourceOffset]: _, ...withoutOffset } = headers
    expect(Result.getFailure(readDeadLetter(withoutOffset))).toMatchObject({
      _tag: "Some",
      value: { header: "xpscore-dlq-source-offset", detail: "is missing" }
    })
    expect(Result.isFailure(readDeadLetter({ ...headers, [deadLetterHeaderNames.sourcePartition]: "-1" }))).toBe(true)
    expect(Result.isFailure(readDeadLetter({ ...headers, [deadLetterHeaderNames.rule]: "nonsense" }))).toBe(true)
  })

  it("say what a letter too large for the dead-letter topic had to cut, with the original sizes", () => {
    const headers = deadLetterHeaders({
      step: "decode",
      path: "$",
      rule: "size",
      detail: "the record is larger than 65536 bytes",
      source: { topic: "t", partition: 0, offset: "7", consumerGroup: "g", timeMs: 0 }
    })
    const cut = {
      ...headers,
      [deadLetterTruncationHeaderNames.valueBytes]: "10485760",
      [deadLetterTruncationHeaderNames.headersBytes]: "70000"
    }
    expect(Object.keys(cut).every(isDeadLetterHeader)).toBe(true)
    const read = readDeadLetter(cut)
    expect(Result.isSuccess(read) && read.success.truncated).toEqual({ valueBytes: 10_485_760, headersBytes: 70_000 })
    expect(Result.isSuccess(readDeadLetter(headers)) && "truncated" in Result.getOrThrow(readDeadLetter(headers))).toBe(
      false
    )
    expect(
      Result.getFailure(readDeadLetter({ ...cut, [deadLetterTruncationHeaderNames.keyBytes]: "lots" }))
    ).toMatchObject({
      _tag: "Some",
      value: { header: "xpscore-dlq-original-key-bytes", detail: "is not a size in bytes" }
    })
  })

  it("say why a key mismatch matters", () => {
    expect(keyMismatch(null, "c-1").detail).toContain("no key")
    expect(keyMismatch("c-2", "c-1")).toMatchObject({ step: "route", path: "subject", rule: "key-mismatch" })
  })
})
