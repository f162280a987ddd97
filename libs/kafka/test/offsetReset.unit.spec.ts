import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type OffsetResetTarget, type PartitionPosition, planOffsetReset, timeOffsetKey } from "../src/offsetReset.ts"

const position = (committed: number | null, logStartOffset: number, endOffset: number): PartitionPosition => ({
  topic: "xp.interactions",
  partition: 0,
  committed,
  logStartOffset,
  endOffset
})

const arbitraryPosition = fc
  .tuple(fc.nat(1_000), fc.nat(1_000), fc.option(fc.nat(3_000), { nil: null }))
  .map(([start, length, committed]) => position(committed, start, start + length))

const arbitraryTarget: fc.Arbitrary<OffsetResetTarget> = fc.oneof(
  fc.constant({ _tag: "Earliest" as const }),
  fc.nat(3_000).map((offset) => ({ _tag: "Offset" as const, offset })),
  fc.nat().map((timeMs) => ({ _tag: "Time" as const, timeMs }))
)

describe("planOffsetReset", () => {
  it("given a group at offset 700 of a log 100…1,000, to-earliest re-reads 600 offsets from 100", () => {
    expect(planOffsetReset([position(700, 100, 1_000)], { _tag: "Earliest" })).toEqual([
      { ...position(700, 100, 1_000), current: 700, next: 100, replayed: 600 }
    ])
  })

  it("a group that committed nothing reads from the log start today (xpscore's consumers start at the beginning)", () => {
    expect(planOffsetReset([position(null, 40, 90)], { _tag: "Offset", offset: 60 })[0]).toMatchObject({
      current: 40,
      next: 60,
      replayed: -20
    })
  })

  it("clamps an offset outside the log to its bounds, as Kafka's tool does", () => {
    expect(planOffsetReset([position(5, 10, 20)], { _tag: "Offset", offset: 99 })[0]).toMatchObject({
      current: 10,
      next: 20
    })
    expect(planOffsetReset([position(15, 10, 20)], { _tag: "Offset", offset: 3 })[0]!.next).toBe(10)
  })

  it("takes a time target's offsets from what the broker resolved, and the end where nothing was written since", () => {
    const positions = [position(50, 0, 100), { ...position(50, 0, 100), partition: 1 }]
    const resolved = new Map([[timeOffsetKey("xp.interactions", 0), 30]])
    expect(planOffsetReset(positions, { _tag: "Time", timeMs: 1 }, resolved).map((p) => p.next)).toEqual([30, 100])
  })

  it("always lands within the log, and replayed is current − next", () => {
    fc.assert(
      fc.property(fc.array(arbitraryPosition, { maxLength: 8 }), arbitraryTarget, (positions, target) => {
        for (const planned of planOffsetReset(positions, target)) {
          expect(planned.next).toBeGreaterThanOrEqual(planned.logStartOffset)
          expect(planned.next).toBeLessThanOrEqual(planned.endOffset)
          expect(planned.replayed).toBe(planned.current - planned.next)
          expect(planned.current).toBeGreaterThanOrEqual(planned.logStartOffset)
        }
      })
    )
  })
})
