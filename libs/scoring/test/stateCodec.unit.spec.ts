import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  apply,
  cloneState,
  componentsOf,
  deserializeState,
  emptyState,
  explain,
  type ModelEvent,
  defaultParams as p,
  StateCodecError,
  scoreAt,
  serializeState
} from "../src/index.ts"
import { historyArb } from "./arbitraries.ts"
import { DAY, fold, HOUR, T0, touchpoint } from "./builders.ts"

const runs = { numRuns: Number(process.env.XPSCORE_FC_RUNS ?? 1000) }

/** A history that exercises everything the state holds: late, duplicate, re-ordered, evicted, open issues. */
const messyArrivalArb = historyArb({ minLength: 1, maxLength: 40, spanMs: 20 * DAY }).chain((events) =>
  fc.array(fc.integer({ min: 0, max: Math.max(0, events.length - 1) }), { maxLength: 5 }).chain((duplicated) =>
    fc.shuffledSubarray([...events, ...duplicated.map((i) => events[i]!)], {
      minLength: events.length + duplicated.length,
      maxLength: events.length + duplicated.length
    })
  )
)

describe("the serialized state", () => {
  it("given any state, when serialized and restored, then it serializes to the same bytes and scores identically", () => {
    fc.assert(
      fc.property(messyArrivalArb, fc.integer({ min: 0, max: 400 * DAY }), (arrival, later) => {
        const state = fold(arrival)
        const bytes = serializeState(state)
        const restored = deserializeState(bytes)
        expect(serializeState(restored)).toEqual(bytes)
        const time = componentsOf(state, p).tRefMs + later
        expect(Object.is(scoreAt(restored, time, p), scoreAt(state, time, p))).toBe(true)
        expect(componentsOf(restored, p)).toEqual(componentsOf(state, p))
        expect(explain(restored, time, p)).toEqual(explain(state, time, p))
      }),
      runs
    )
  })

  it("given a restored state, when the same events follow, then it continues bit-identically to an uninterrupted one", () => {
    fc.assert(
      fc.property(messyArrivalArb, fc.nat(), (arrival, cut) => {
        const split = cut % (arrival.length + 1)
        const uninterrupted = emptyState()
        const resumed = emptyState()
        const out1: Array<unknown> = []
        const out2: Array<unknown> = []
        for (const event of arrival) out1.push(apply(uninterrupted, event, p))
        let current = resumed
        arrival.forEach((event, i) => {
          if (i === split) current = deserializeState(serializeState(current))
          out2.push(apply(current, event, p))
        })
        if (split === arrival.length) current = deserializeState(serializeState(current))
        expect(out2).toEqual(out1)
        expect(serializeState(current)).toEqual(serializeState(uninterrupted))
      }),
      runs
    )
  })

  it("given a clone, then it is independent of the original", () => {
    const state = fold([touchpoint(0.5, { t: T0, id: "a" })])
    const copy = cloneState(state)
    apply(state, touchpoint(-1, { t: T0 + HOUR, id: "b" }), p)
    expect(serializeState(copy)).toEqual(serializeState(fold([touchpoint(0.5, { t: T0, id: "a" })])))
  })

  it("given a typical customer, then the state takes a few hundred bytes", () => {
    const events: Array<ModelEvent> = Array.from({ length: 5 }, (_, i) =>
      touchpoint(0.2 * i - 0.3, { t: T0 + i * 3 * DAY, id: `3f1c2a9e-6b7d-4e2f-9a1b-00000000000${i}` })
    )
    expect(serializeState(fold(events)).length).toBeLessThan(400)
  })

  it("given bytes that are not a state, then restoring fails with a StateCodecError naming the byte", () => {
    const good = serializeState(fold([touchpoint(0.5)]))
    expect(() => deserializeState(new Uint8Array([9, 0]))).toThrow(StateCodecError)
    expect(() => deserializeState(good.slice(0, good.length - 3))).toThrow(/invalid customer state at byte \d+/)
    expect(() => deserializeState(new Uint8Array([...good, 0]))).toThrow(/trailing bytes/)
  })

  it("given random bytes, then restoring either fails with a StateCodecError or yields a state (never anything else)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          deserializeState(bytes)
        } catch (error) {
          expect(error).toBeInstanceOf(StateCodecError)
        }
      }),
      runs
    )
  })
})
