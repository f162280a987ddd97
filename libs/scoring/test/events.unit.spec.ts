import { describe, expect, it } from "vitest"
import { phi } from "../src/impressions.ts"
import {
  componentsOf,
  DAY_MS,
  explain,
  fromInteraction,
  type ModelEvent,
  defaultParams as p,
  scoreAt,
  YEAR_MS
} from "../src/index.ts"
import {
  DAY,
  expectation,
  fold,
  issueOpened,
  issueResolved,
  negotiated,
  outcomes,
  survey,
  T0,
  touchpoint
} from "./builders.ts"

const impressionOf = (event: ModelEvent, before: ReadonlyArray<ModelEvent> = []) => {
  const { outcomes: all } = outcomes([...before, event])
  return all.at(-1)!.v
}

describe("a touchpoint", () => {
  it("given quality 0.5, when applied, then its impression is 0.5 with weight 0.5 (S⁺ = 0.25, W = 0.5)", () => {
    const state = fold([touchpoint(0.5)])
    expect(impressionOf(touchpoint(0.5))).toBe(0.5)
    expect(componentsOf(state, p)).toMatchObject({ sPos: 0.25, sNeg: 0, w: 0.5, pPos: 0.5, pNeg: 0, lastV: 0.5 })
  })

  it("given quality −0.5, when applied, then its impression is λ·q = −1 and it is the worst moment", () => {
    const state = fold([touchpoint(-0.5)])
    expect(impressionOf(touchpoint(-0.5))).toBe(-1)
    expect(componentsOf(state, p)).toMatchObject({ sPos: 0, sNeg: -0.5, w: 0.5, pPos: 0, pNeg: -1, lastV: -1 })
  })
})

describe("a survey answer", () => {
  it.each([
    ["csat", 1, -1],
    ["csat", 3, 0],
    ["csat", 5, 1],
    ["nps", 0, -1],
    ["nps", 4, -1],
    ["nps", 7, 0],
    ["nps", 10, 1],
    ["ces", 1, -1],
    ["ces", 4, 0],
    ["ces", 7, 1]
  ] as const)("given %s %d, when applied, then its impression is %d with weight 3", (scale, value, v) => {
    expect(impressionOf(survey(scale, value))).toBeCloseTo(v, 15)
    expect(componentsOf(fold([survey(scale, value)]), p).w).toBe(3)
  })
})

describe("an expectation", () => {
  it("given a negotiated expectation met, then its impression is exactly c_meet", () => {
    expect(impressionOf(negotiated(0.7, 0.7))).toBe(p.cMeet)
  })

  it("given a negotiated expectation, then it is judged against itself only, not against E_dim", () => {
    // E_dim of the dimension is raised by earlier exceedances; a negotiated promise ignores it.
    const before = [0, 1, 2].map((day) => expectation(0.5, 1, { t: T0 + day * DAY }))
    expect(impressionOf(negotiated(0.4, 0.4, { t: T0 + 3 * DAY }), before)).toBe(p.cMeet)
  })

  it("given an unnegotiated expectation below E_dim, then the reference point is E_dim(t)", () => {
    // E0 = 0.5 > expected 0.2: delivering 0.5 merely meets the baseline.
    expect(impressionOf(expectation(0.2, 0.5))).toBeCloseTo(p.cMeet, 15)
  })

  it("given exceedance and shortfall of 0.5, then φ gives d^a and −λ·d^a, clamped to [−λ, 1]", () => {
    expect(impressionOf(negotiated(0.5, 1))).toBeCloseTo(p.cMeet + 0.5 ** p.a, 12)
    expect(impressionOf(negotiated(0.5, 0))).toBeCloseTo(p.cMeet - p.lambda * 0.5 ** p.a, 12)
    expect(impressionOf(negotiated(0, 1))).toBe(1)
    expect(impressionOf(negotiated(1, 0))).toBeCloseTo(p.cMeet - p.lambda, 12)
    expect(phi(-0.3, p)).toBe(-p.lambda * phi(0.3, p))
  })

  it("given performance above E_dim, then E_dim rises at η_up; below it, it falls at η_down", () => {
    // Same instant (no drift), canonical order by id.
    // After one exceedance (actual 0.9 > 0.5): E = 0.5 + 0.2·0.4 = 0.58; the next reference is 0.58.
    const up = impressionOf(expectation(0, 0.58, { id: "b" }), [expectation(0, 0.9, { id: "a" })])
    expect(up).toBeCloseTo(p.cMeet, 12)
    // After one shortfall (actual 0.1 < 0.5): E = 0.5 − 0.05·0.4 = 0.48.
    const down = impressionOf(expectation(0, 0.48, { id: "b" }), [expectation(0, 0.1, { id: "a" })])
    expect(down).toBeCloseTo(p.cMeet, 12)
  })

  it("given the same exceedance a year later, then drift raised the bar by δ = 0.02", () => {
    const now = impressionOf(expectation(0, 0.9, { t: T0 }))
    const yearLater = impressionOf(expectation(0, 0.9, { t: T0 + YEAR_MS }))
    expect(now).toBeCloseTo(p.cMeet + (0.9 - 0.5) ** p.a, 12)
    expect(yearLater).toBeCloseTo(p.cMeet + (0.9 - 0.52) ** p.a, 12)
  })

  it("given dimensions, then each has its own baseline", () => {
    const raised = ["a", "b", "c", "d"].map((id) => expectation(0, 1, { id, dimension: "price" }))
    expect(impressionOf(expectation(0, 0.5, { id: "e", dimension: "support" }), raised)).toBeCloseTo(p.cMeet, 12)
  })
})

describe("an issue and its recovery", () => {
  const opened = issueOpened("i-1", 0.4)
  const provisional = -p.lambda * 0.4 ** p.a

  it("given an opened issue, then its provisional impression −λ·s^a counts in the sums and in P⁻", () => {
    const state = fold([opened])
    expect(impressionOf(issueOpened("i-1", 0.4))).toBeCloseTo(provisional, 12)
    const c = componentsOf(state, p)
    expect(c.sNeg).toBeCloseTo(provisional, 12)
    expect(c.pNeg).toBeCloseTo(provisional, 12)
    expect(c.w).toBe(1)
  })

  it("given a first, non-severe failure recovered well and fast, then the branch is paradox: c_meet + κ·s", () => {
    const { outcomes: all, state } = outcomes([opened, issueResolved("i-1", 0.9, true, { t: T0 + DAY })])
    expect(all[1]).toMatchObject({ recovery: "paradox" })
    expect(all[1]!.v).toBeCloseTo(p.cMeet + p.kappa * 0.4, 12)
    // The provisional left the sums: only the episode remains, at its end.
    const c = componentsOf(state, p)
    expect(c.sNeg).toBeCloseTo(0, 15)
    expect(c.w).toBeCloseTo(1, 12)
    expect(c.pNeg).toBeCloseTo(0, 15)
  })

  it("given ρ in [0.3, 0.8) within SLA, then the branch is partial: v_f·(1 − ρ_max·ρ)", () => {
    const { outcomes: all } = outcomes([opened, issueResolved("i-1", 0.6, true, { t: T0 + DAY })])
    expect(all[1]).toMatchObject({ recovery: "partial" })
    expect(all[1]!.v).toBeCloseTo(provisional * (1 - 0.8 * 0.6), 12)
  })

  it("given a severe failure (s > 0.5) recovered perfectly, then no paradox: partial restoration", () => {
    const { outcomes: all } = outcomes([issueOpened("i-2", 0.6), issueResolved("i-2", 1, true, { t: T0 + DAY })])
    expect(all[1]).toMatchObject({ recovery: "partial" })
  })

  it("given a resolution outside the SLA, then the branch is double deviation: v_f·(1 + dd)", () => {
    const { outcomes: all } = outcomes([opened, issueResolved("i-1", 0.95, false, { t: T0 + DAY })])
    expect(all[1]).toMatchObject({ recovery: "doubleDeviation" })
    expect(all[1]!.v).toBeCloseTo(provisional * 1.5, 12)
  })

  it("given ρ < 0.3 within SLA, then the branch is double deviation", () => {
    const { outcomes: all } = outcomes([opened, issueResolved("i-1", 0.2, true, { t: T0 + DAY })])
    expect(all[1]).toMatchObject({ recovery: "doubleDeviation" })
  })

  it("given a second failure inside h_fail, then its perfect recovery is no paradox", () => {
    const { outcomes: all } = outcomes([
      issueOpened("i-1", 0.3, { t: T0 }),
      issueResolved("i-1", 1, true, { t: T0 + DAY }),
      issueOpened("i-2", 0.3, { t: T0 + 100 * DAY }),
      issueResolved("i-2", 1, true, { t: T0 + 101 * DAY })
    ])
    expect(all[1]).toMatchObject({ recovery: "paradox" })
    expect(all[3]).toMatchObject({ recovery: "partial" })
  })

  it("given a second failure after more than h_fail, then the paradox is possible again", () => {
    const { outcomes: all } = outcomes([
      issueOpened("i-1", 0.3, { t: T0 }),
      issueResolved("i-1", 1, true, { t: T0 + DAY }),
      issueOpened("i-2", 0.3, { t: T0 + 181 * DAY }),
      issueResolved("i-2", 1, true, { t: T0 + 182 * DAY })
    ])
    expect(all[3]).toMatchObject({ recovery: "paradox" })
  })

  it("given a resolution of an unknown issue, then it has no score effect and is counted and flagged", () => {
    const before = fold([touchpoint(0.3)])
    const { outcomes: all, state } = outcomes([touchpoint(0.3), issueResolved("nope", 1, true, { t: T0 + DAY })])
    expect(all[1]).toMatchObject({ orphanResolution: true, applied: true, v: undefined, recovery: undefined })
    expect(state.orphanResolutions).toBe(1)
    expect(scoreAt(state, T0 + 2 * DAY, p)).toBe(scoreAt(before, T0 + 2 * DAY, p))
  })

  it("given an opening of an issue already open, then it has no score effect and is flagged", () => {
    const { outcomes: all, state } = outcomes([opened, issueOpened("i-1", 0.9, { id: "zz-later" })])
    expect(all[1]).toMatchObject({ repeatedOpening: true, v: undefined })
    expect(componentsOf(state, p).sNeg).toBeCloseTo(provisional, 12)
  })

  it("given an issue resolved and then opened again under the same id, then it is a new failure", () => {
    const { outcomes: all } = outcomes([
      opened,
      issueResolved("i-1", 0.9, true, { t: T0 + DAY }),
      issueOpened("i-1", 0.4, { t: T0 + 2 * DAY }),
      issueResolved("i-1", 0.9, true, { t: T0 + 3 * DAY })
    ])
    expect(all[2]!.v).toBeCloseTo(provisional, 12)
    expect(all[3]).toMatchObject({ recovery: "partial" })
  })
})

describe("decay", () => {
  it("given one touchpoint, when 30 days pass, then S⁺ halves in the formula (h⁺ = 30 days)", () => {
    const state = fold([touchpoint(1)])
    const later = explain(state, T0 + 30 * DAY_MS, p)
    expect(later.terms.peak.value).toBeCloseTo(0.5, 12)
    expect(later.terms.end.value).toBeCloseTo(2 ** (-30 / 14), 12)
  })

  it("given events days apart, then the sums are anchored at the latest event time", () => {
    const state = fold([touchpoint(1, { t: T0 }), touchpoint(-1, { t: T0 + 60 * DAY })])
    const c = componentsOf(state, p)
    expect(c.tRefMs).toBe(T0 + 60 * DAY)
    expect(c.sPos).toBeCloseTo(0.5 * 2 ** -2, 12)
    expect(c.sNeg).toBeCloseTo(0.5 * -2, 12)
    expect(c.w).toBeCloseTo(0.5 * 0.5 + 0.5, 12)
  })
})

describe("fromInteraction", () => {
  it("maps each decoded kind onto the model's event, negotiated defaulting to false", () => {
    const envelope = {
      specversion: "1.0",
      id: "evt-1",
      source: "/checkout",
      subject: "customer-1",
      time: "2023-11-14T22:13:20.000Z",
      timeMs: T0,
      datacontenttype: "application/json"
    }
    const cases = [
      [
        { kind: "touchpoint", type: "xp.touchpoint.v1", data: { quality: 0.5, aspect: "competence" } },
        { kind: "touchpoint", quality: 0.5, aspect: "competence" }
      ],
      [
        { kind: "expectation", type: "xp.expectation.v1", data: { dimension: "price", expected: 0.5, actual: 0.6 } },
        { kind: "expectation", dimension: "price", expected: 0.5, actual: 0.6, negotiated: false }
      ],
      [
        { kind: "issue.opened", type: "xp.issue.opened.v1", data: { issueId: "i-1", severity: 0.4 } },
        { kind: "issueOpened", issueId: "i-1", severity: 0.4 }
      ],
      [
        {
          kind: "issue.resolved",
          type: "xp.issue.resolved.v1",
          data: { issueId: "i-1", quality: 0.9, withinSla: true }
        },
        { kind: "issueResolved", issueId: "i-1", quality: 0.9, withinSla: true }
      ],
      [
        { kind: "survey", type: "xp.survey.v1", data: { scale: "nps", value: 9 } },
        { kind: "survey", scale: "nps", value: 9 }
      ]
    ] as const
    for (const [decoded, expected] of cases) {
      const event = { ...envelope, ...decoded } as unknown as Parameters<typeof fromInteraction>[0]
      expect(fromInteraction(event)).toEqual({ id: "evt-1", source: "/checkout", t: T0, ...expected })
    }
  })
})
