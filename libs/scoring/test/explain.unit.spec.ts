import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { componentsOf, explain, defaultParams as p, scoreAt } from "../src/index.ts"
import { historyArb } from "./arbitraries.ts"
import { DAY, fold, HOUR, issueOpened, negotiated, survey, T0, touchpoint } from "./builders.ts"

const runs = { numRuns: Number(process.env.XPSCORE_FC_RUNS ?? 500) }

describe("explain", () => {
  it("given any state, then the terms times their weights sum to X, and contributors plus rest sum to X", () => {
    fc.assert(
      fc.property(historyArb(), fc.integer({ min: 0, max: 200 * DAY }), (events, later) => {
        const state = fold(events)
        const time = componentsOf(state, p).tRefMs + later
        const e = explain(state, time, p, 1000)
        const { average, end, peak } = e.terms
        expect(average.value * average.weight + end.value * end.weight + peak.value * peak.weight).toBeCloseTo(
          e.index,
          12
        )
        expect(e.contributors.reduce((sum, c) => sum + c.contribution, 0) + e.rest).toBeCloseTo(e.index, 12)
        expect(e.score).toBe(scoreAt(state, time, p))
      }),
      runs
    )
  })

  it("given a history that is all in the buffer, then every event is listed and nothing is left in rest", () => {
    fc.assert(
      fc.property(historyArb({ spanMs: 20 * HOUR }), (events) => {
        const state = fold(events)
        const e = explain(state, componentsOf(state, p).tRefMs + HOUR, p, 1000)
        expect(Math.abs(e.rest)).toBeLessThan(1e-12)
      }),
      runs
    )
  })

  it("given a bad survey, a good touchpoint and an open issue, then the biggest contributors come first with their roles", () => {
    const state = fold([
      survey("nps", 0, { t: T0, id: "angry-survey" }),
      touchpoint(0.3, { t: T0 + 2 * HOUR, id: "nice-call" }),
      issueOpened("late-parcel", 0.2, { t: T0 + 3 * HOUR, id: "parcel" })
    ])
    const e = explain(state, T0 + 4 * HOUR, p)
    expect(e.contributors.map((c) => c.id)).toEqual(["angry-survey", "parcel", "nice-call"])
    const [angry, parcel, nice] = e.contributors
    expect(angry).toMatchObject({ kind: "survey", v: -1, weight: 3 })
    expect(angry!.viaPeak).toBeLessThan(0) // the worst moment
    expect(parcel).toMatchObject({ kind: "issueOpened", tMs: T0 + 3 * HOUR })
    expect(parcel!.viaEnd).toBeLessThan(0) // the last impression
    expect(nice!.viaPeak).toBeGreaterThan(0) // the best moment
    expect(Math.abs(e.rest)).toBeLessThan(1e-12)
  })

  it("given events that left the buffer, then the peaks are still named by time and kind, and the rest holds the others", () => {
    const state = fold([
      touchpoint(1, { t: T0, id: "best" }),
      touchpoint(0.1, { t: T0 + 5 * DAY, id: "meh" }),
      negotiated(0.5, 0.5, { t: T0 + 10 * DAY, id: "met" })
    ])
    const e = explain(state, T0 + 10 * DAY, p)
    const best = e.contributors.find((c) => c.tMs === T0)
    expect(best).toMatchObject({ id: undefined, kind: "touchpoint" })
    expect(best!.v).toBeCloseTo(1, 12)
    expect(best!.viaPeak).toBeGreaterThan(0)
    expect(e.contributors.find((c) => c.id === "met")!.viaEnd).toBeGreaterThan(0)
    expect(e.rest).toBeGreaterThan(0) // "meh" is only in the sums now
  })
})
