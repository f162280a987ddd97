import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { F, F_T, FIXED, LAST_META, LAST_T, LAST_V, N_OPEN, OPEN_STRIDE, openBase } from "../src/fold.ts"
import {
  apply,
  componentsOf,
  emptyState,
  explain,
  type ModelEvent,
  defaultParams as p,
  scoreAt,
  scoreFromComponents,
  serializeState,
  YEAR_MS
} from "../src/index.ts"
import { historyArb, type Payload, payloadArb, permutationArb } from "./arbitraries.ts"
import { DAY, expectation, fold, HOUR, issueOpened, issueResolved, negotiated, T0 } from "./builders.ts"

/*
 * scoring-model.md, "Invariants the tests must prove", one property each.
 * fast-check prints the seed and the shrunk counterexample of a failure;
 * `fc.assert(..., { seed, path })` replays it.
 */
// XPSCORE_FC_RUNS raises the count for a deeper local search.
const runs = { numRuns: Number(process.env.XPSCORE_FC_RUNS ?? 1000) }
const latestTime = (events: ReadonlyArray<ModelEvent>) => Math.max(T0, ...events.map((e) => e.t))
const at = (events: ReadonlyArray<ModelEvent>, time: number) => scoreAt(fold(events), time, p)
const indexAt = (events: ReadonlyArray<ModelEvent>, time: number) => explain(fold(events), time, p).index
const after = (events: ReadonlyArray<ModelEvent>) => latestTime(events) + 1 + (events.length % 7) * HOUR

describe("invariant 1: no events is exactly 50; every score lies strictly between 0 and 100", () => {
  it("given no events, then the score is exactly 50 at any time", () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e12, max: 4e12 }), (time) => {
        expect(scoreAt(emptyState(), time, p)).toBe(50)
      }),
      runs
    )
  })

  it("given any history, then at any later time 0 < score < 100", () => {
    fc.assert(
      fc.property(historyArb(), fc.integer({ min: 0, max: 20 * 365 }), (events, days) => {
        const score = at(events, latestTime(events) + days * DAY)
        expect(score).toBeGreaterThan(0)
        expect(score).toBeLessThan(100)
      }),
      runs
    )
  })

  it("given the most extreme history (repeated severe double deviations), then the score stays above 0", () => {
    const events = Array.from({ length: 40 }, (_, i) => [
      issueOpened(`x-${i}`, 1, { t: T0 + i * HOUR }),
      issueResolved(`x-${i}`, 0, false, { t: T0 + i * HOUR + 1 })
    ]).flat()
    expect(at(events, latestTime(events))).toBeGreaterThan(0)
  })
})

describe("invariant 2: same events, same parameters, bit-identical state and score", () => {
  it("given a history folded twice, then the serialized states and the scores are identical", () => {
    fc.assert(
      fc.property(historyArb(), permutationArb([0, 1, 2]), (events, _) => {
        const a = fold(events)
        const b = fold(events)
        expect(serializeState(a)).toEqual(serializeState(b))
        expect(Object.is(scoreAt(a, latestTime(events), p), scoreAt(b, latestTime(events), p))).toBe(true)
      }),
      runs
    )
  })
})

describe("invariant 3: any arrival order within the allowed lateness gives the same score", () => {
  it("given a history inside 24 hours in any arrival order, then the score and the components are bit-identical", () => {
    fc.assert(
      fc.property(
        historyArb({ spanMs: 24 * HOUR, minLength: 1 }).chain((events) =>
          fc.tuple(fc.constant(events), permutationArb(events))
        ),
        ([inOrder, arrival]) => {
          const expected = fold(inOrder)
          const actual = fold(arrival)
          const time = latestTime(inOrder)
          expect(componentsOf(actual, p)).toEqual(componentsOf(expected, p))
          expect(scoreAt(actual, time, p)).toBe(scoreAt(expected, time, p))
          expect(actual.late).toBe(0)
        }
      ),
      runs
    )
  })
})

describe("invariant 4: right after an event, a better value never gives a lower score", () => {
  const lastEvent = (payload: Payload, time: number) =>
    ({ ...payload, id: "zz-last", source: "/last", t: time }) as ModelEvent
  const notLower = (history: ReadonlyArray<ModelEvent>, worse: ModelEvent, better: ModelEvent) => {
    const time = worse.t
    expect(at([...history, better], time)).toBeGreaterThanOrEqual(at([...history, worse], time) - 1e-12)
  }
  const pair = fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }))
  const ordered = pair.map(([a, b]): [number, number] => (a <= b ? [a, b] : [b, a]))

  it("given a better actual of an expectation", () => {
    fc.assert(
      fc.property(
        historyArb(),
        ordered,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        (h, [a, b], e, n) => {
          const payload = { kind: "expectation" as const, dimension: "price", expected: e, negotiated: n }
          notLower(h, lastEvent({ ...payload, actual: a }, after(h)), lastEvent({ ...payload, actual: b }, after(h)))
        }
      ),
      runs
    )
  })

  it("given a better survey value", () => {
    fc.assert(
      fc.property(
        historyArb(),
        fc.constantFrom<[scale: "csat" | "nps" | "ces", min: number, max: number]>(
          ["csat", 1, 5],
          ["nps", 0, 10],
          ["ces", 1, 7]
        ),
        pair,
        (h, [scale, min, max], [x, y]) => {
          const a = Math.round(min + x * (max - min))
          const b = Math.round(min + y * (max - min))
          const [lo, hi] = a <= b ? [a, b] : [b, a]
          const payload = { kind: "survey" as const, scale }
          notLower(h, lastEvent({ ...payload, value: lo }, after(h)), lastEvent({ ...payload, value: hi }, after(h)))
        }
      ),
      runs
    )
  })

  it("given a better touchpoint quality", () => {
    fc.assert(
      fc.property(historyArb(), ordered, (h, [a, b]) => {
        notLower(
          h,
          lastEvent({ kind: "touchpoint", quality: 2 * a - 1 }, after(h)),
          lastEvent({ kind: "touchpoint", quality: 2 * b - 1 }, after(h))
        )
      }),
      runs
    )
  })

  it("given a better recovery quality", () => {
    fc.assert(
      fc.property(
        historyArb(),
        ordered,
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.boolean(),
        (h, [a, b], s, sla) => {
          const opened = { ...issueOpened("recovered", s), t: after(h) }
          const history = [...h, opened]
          const resolution = (rho: number) =>
            lastEvent({ kind: "issueResolved", issueId: "recovered", quality: rho, withinSla: sla }, opened.t + DAY)
          notLower(history, resolution(a), resolution(b))
        }
      ),
      runs
    )
  })
})

describe("invariant 5: without new events the score moves toward 50", () => {
  it("given impressions that all share a sign, then |score − 50| never grows with time", () => {
    fc.assert(
      fc.property(
        fc.constantFrom("positive" as const, "negative" as const).chain((sign) => historyArb({ sign, minLength: 1 })),
        fc.integer({ min: 0, max: 400 * DAY }),
        fc.integer({ min: 0, max: 400 * DAY }),
        (events, d1, d2) => {
          const state = fold(events)
          const t1 = latestTime(events) + Math.min(d1, d2)
          const t2 = latestTime(events) + Math.max(d1, d2)
          const distance = (time: number) => Math.abs(scoreAt(state, time, p) - 50)
          expect(distance(t2)).toBeLessThanOrEqual(distance(t1) + 1e-12)
        }
      ),
      runs
    )
  })

  it("given any history, then ten years later the score is 50 to within 1e-9", () => {
    fc.assert(
      fc.property(historyArb(), (events) => {
        expect(Math.abs(at(events, latestTime(events) + 10 * 365 * DAY) - 50)).toBeLessThan(1e-9)
      }),
      runs
    )
  })
})

describe("invariant 6: a score below 50 never rises above 50 without new events", () => {
  it("given a score below 50 at some time, then it is at most 50 at every later time", () => {
    fc.assert(
      fc.property(
        historyArb({ minLength: 1 }),
        fc.integer({ min: 0, max: 300 * DAY }),
        fc.integer({ min: 0, max: 3000 * DAY }),
        (events, d1, d2) => {
          const state = fold(events)
          const t1 = latestTime(events) + d1
          fc.pre(scoreAt(state, t1, p) < 50)
          expect(scoreAt(state, t1 + d2, p)).toBeLessThanOrEqual(50)
        }
      ),
      runs
    )
  })
})

describe("invariant 7: a loss is λ times the gain of the same size", () => {
  it("given a shortfall and an exceedance of the same size |d| ≤ 0.7, then at the impression level the loss is exactly λ times the gain", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 0.7, noNaN: true }), (d) => {
        const v = (expected: number, actual: number) => apply(emptyState(), negotiated(expected, actual), p).v!
        const gain = v(0.3, 0.3 + d) - p.cMeet
        const loss = p.cMeet - v(0.7, 0.7 - d)
        expect(loss).toBeCloseTo(p.lambda * gain, 12)
      }),
      runs
    )
  })

  it("given any history, then in X missing by d always costs more than exceeding by d gains", () => {
    fc.assert(
      fc.property(
        historyArb(),
        fc.double({ min: 0.001, max: 0.7, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (h, d, position) => {
          const expected = d + position * (1 - 2 * d)
          fc.pre(expected - d >= 0 && expected + d <= 1)
          const time = after(h)
          const x = (actual: number) =>
            indexAt([...h, negotiated(expected, actual, { t: time, id: "zz", dimension: "own" })], time)
          const met = x(expected)
          expect(met - x(expected - d)).toBeGreaterThan(x(expected + d) - met)
        }
      ),
      runs
    )
  })
})

describe("invariant 8: same impressions, bad then good scores higher than good then bad", () => {
  it("given a bad and a good moment in either order, then bad-then-good ends higher", () => {
    fc.assert(
      fc.property(
        payloadArb({ sign: "negative" }).filter((e) => e.kind === "touchpoint" || e.kind === "survey"),
        payloadArb({ sign: "positive" }).filter(
          (e) =>
            (e.kind === "touchpoint" && e.quality > 0) ||
            (e.kind === "survey" && e.value > (e.scale === "nps" ? 7 : e.scale === "ces" ? 4 : 3))
        ),
        fc.integer({ min: 1, max: 200 * DAY }),
        (bad, good, gap) => {
          const event = (payload: Payload, t: number, id: string) => ({ ...payload, id, source: "/s", t }) as ModelEvent
          const badThenGood = at([event(bad, T0, "a"), event(good, T0 + gap, "b")], T0 + gap)
          const goodThenBad = at([event(good, T0, "a"), event(bad, T0 + gap, "b")], T0 + gap)
          expect(badThenGood).toBeGreaterThan(goodThenBad)
        }
      ),
      runs
    )
  })
})

describe("invariant 9: the recovery paradox happens exactly when its four conditions hold", () => {
  it("given a failure, its recovery and the no-failure counterfactual, then the score is above it exactly under the four conditions", () => {
    fc.assert(
      fc.property(
        historyArb({ sign: "positive", maxLength: 10 }),
        fc.option(fc.integer({ min: 1, max: 400 * DAY }), { nil: undefined }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.boolean(),
        fc.integer({ min: 1, max: 30 * DAY }),
        (h, earlierFailureAgo, severity, rho, withinSla, duration) => {
          const opening = after(h) + 400 * DAY
          const resolution = opening + duration
          // An earlier failure, already recovered, `earlierFailureAgo` before this opening.
          const earlier =
            earlierFailureAgo === undefined
              ? []
              : [
                  issueOpened("earlier", 0.2, { t: opening - earlierFailureAgo, id: "y-open" }),
                  issueResolved("earlier", 1, true, { t: opening - earlierFailureAgo + 1, id: "y-resolve" })
                ]
          const base = [...h, ...earlier].sort((a, b) => a.t - b.t || (a.id < b.id ? -1 : 1))
          const withFailure = [
            ...base,
            issueOpened("now", severity, { t: opening, id: "z-open" }),
            issueResolved("now", rho, withinSla, { t: resolution, id: "z-resolve" })
          ]
          // The counterfactual: the service simply met expectations then (impression c_meet, same weight).
          const counterfactual = [...base, negotiated(0.5, 0.5, { t: resolution, id: "z-resolve", dimension: "own" })]
          const earlierCount = earlierFailureAgo === undefined ? 0 : 2 ** (-earlierFailureAgo / (180 * DAY))
          const conditions = earlierCount < 0.5 && severity <= 0.5 && rho >= 0.8 && withinSla
          const recovery = fold(withFailure.slice(0, -1))
          const outcome = apply(recovery, withFailure.at(-1)!, p)
          expect(outcome.recovery === "paradox").toBe(conditions)
          expect(at(withFailure, resolution) > at(counterfactual, resolution)).toBe(conditions)
        }
      ),
      runs
    )
  })

  it("given a second failure inside h_fail memory, then a perfect recovery never produces the paradox", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 180 * DAY }), fc.double({ min: 0.01, max: 0.5, noNaN: true }), (gap, s) => {
        const events = [
          issueOpened("first", s, { t: T0, id: "a" }),
          issueResolved("first", 1, true, { t: T0 + 1, id: "b" }),
          issueOpened("second", s, { t: T0 + gap, id: "c" })
        ]
        const state = fold(events)
        expect(apply(state, issueResolved("second", 1, true, { t: T0 + gap + 1, id: "d" }), p).recovery).not.toBe(
          "paradox"
        )
      }),
      runs
    )
  })
})

describe("invariant 10: expectations rise", () => {
  it("given repeated identical exceedances (actual above both expected and E_dim), then their impressions never increase", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0, max: 0.95, noNaN: true }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.integer({ min: 2, max: 30 }),
        fc.integer({ min: 1, max: 60 * DAY }),
        (expected, excess, count, gap) => {
          const reference = Math.max(expected, p.e0)
          const actual = reference + excess * (1 - reference)
          const state = emptyState()
          const impressions = Array.from(
            { length: count },
            (_, i) => apply(state, expectation(expected, actual, { t: T0 + i * gap, id: `e${i}` }), p).v!
          )
          for (let i = 1; i < impressions.length; i++) expect(impressions[i]!).toBeLessThanOrEqual(impressions[i - 1]!)
        }
      ),
      runs
    )
  })

  it("given the same history one year later, then it never scores higher", () => {
    fc.assert(
      fc.property(historyArb({ minLength: 1 }), (events) => {
        const later = events.map((e) => ({ ...e, t: e.t + YEAR_MS }))
        expect(at(later, latestTime(events) + YEAR_MS)).toBeLessThanOrEqual(at(events, latestTime(events)) + 1e-12)
      }),
      runs
    )
  })

  it("given a met negotiated expectation, then its impression is exactly c_meet", () => {
    fc.assert(
      fc.property(historyArb(), fc.double({ min: 0, max: 1, noNaN: true }), (h, level) => {
        const state = fold(h)
        expect(apply(state, negotiated(level, level, { t: after(h), id: "zz" }), p).v).toBe(p.cMeet)
      }),
      runs
    )
  })
})

describe("invariant 11 (TypeScript side): scoreAt is the closed formula of the stored components", () => {
  it("given any state and time, then scoreAt equals scoreFromComponents(componentsOf(state))", () => {
    fc.assert(
      fc.property(historyArb(), fc.integer({ min: 0, max: 3 * 365 * DAY }), (events, later) => {
        const state = fold(events)
        const time = latestTime(events) + later
        expect(scoreAt(state, time, p)).toBe(scoreFromComponents(componentsOf(state, p), p, time))
      }),
      runs
    )
  })
})

describe("invariant 12: a late event beyond the horizon never silently changes E_dim, last or recovery state", () => {
  it("given any event older than the allowed lateness, then E_dim, last, open issues and the failure count are unchanged and it is counted", () => {
    fc.assert(
      fc.property(
        historyArb({ minLength: 1 }),
        payloadArb(),
        fc.integer({ min: 24 * HOUR + 1, max: 200 * DAY }),
        (h, payload, age) => {
          const state = fold(h)
          const tRef = componentsOf(state, p).tRefMs
          const orderDependent = () => {
            const n = state.n
            const open = openBase(n)
            return {
              // (dimension hash, E_dim) pairs, then (issue hash, opening, severity, earlier failures, provisional)
              expectations: n.slice(FIXED, open),
              last: [n[LAST_T], n[LAST_V], n[LAST_META]],
              failures: [n[F], n[F_T]],
              open: n.slice(open, open + n[N_OPEN]! * OPEN_STRIDE)
            }
          }
          const before = orderDependent()
          const lateCount = state.late
          const outcome = apply(state, { ...payload, id: "late-one", source: "/late", t: tRef - age } as ModelEvent, p)
          expect(outcome.late).toBe(true)
          expect(state.late).toBe(lateCount + 1)
          expect(orderDependent()).toEqual(before)
        }
      ),
      runs
    )
  })
})
