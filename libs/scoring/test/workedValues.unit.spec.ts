import { describe, expect, it } from "vitest"
import { defaultParams, emptyState, scoreAt } from "../src/index.ts"
import {
  DAY,
  expectation,
  issueOpened,
  issueResolved,
  negotiated,
  scoreOf,
  survey,
  T0,
  touchpoint
} from "./builders.ts"

/*
 * scoring-model.md, "Worked values": defaults, one customer, the score at the
 * time of the last event unless said; each row to 0.05. Times are at the
 * drift's calibration date, where the spec's values hold (see the notes).
 */
const within = (actual: number, expected: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(0.05)

describe("worked values of model version 1", () => {
  it("nothing: 50", () => {
    expect(scoreAt(emptyState(), T0, defaultParams)).toBe(50)
  })

  it("one negotiated expectation met (expected = actual = 0.5): 61.1", () => {
    within(scoreOf([negotiated(0.5, 0.5)]), 61.1)
  })

  it("exceeded by 0.5 (negotiated, expected 0.5, actual 1.0): 80.7", () => {
    within(scoreOf([negotiated(0.5, 1.0)]), 80.7)
  })

  it("missed by 0.5 (negotiated, expected 0.5, actual 0.0): 18.2", () => {
    within(scoreOf([negotiated(0.5, 0.0)]), 18.2)
  })

  it("missed by 0.5, thirty days later: 24.5", () => {
    within(scoreOf([negotiated(0.5, 0.0)], T0 + 30 * DAY), 24.5)
  })

  it("missed by 0.5, ninety days later: 35.0", () => {
    within(scoreOf([negotiated(0.5, 0.0)], T0 + 90 * DAY), 35.0)
  })

  it("an issue of severity 0.4 opened: 16.7", () => {
    within(scoreOf([issueOpened("i-1", 0.4)]), 16.7)
  })

  it("… resolved a day later, ρ = 0.9, within SLA, first failure (paradox): 65.2", () => {
    within(scoreOf([issueOpened("i-1", 0.4), issueResolved("i-1", 0.9, true, { t: T0 + DAY })]), 65.2)
  })

  it("… resolved with ρ = 0.6 (partial restoration): 30.2", () => {
    within(scoreOf([issueOpened("i-1", 0.4), issueResolved("i-1", 0.6, true, { t: T0 + DAY })]), 30.2)
  })

  it("… resolved with ρ = 0.1, outside SLA (double deviation): 8.2", () => {
    within(scoreOf([issueOpened("i-1", 0.4), issueResolved("i-1", 0.1, false, { t: T0 + DAY })]), 8.2)
  })

  it("one touchpoint, quality 0.5: 69.0", () => {
    within(scoreOf([touchpoint(0.5)]), 69.0)
  })

  it("one touchpoint, quality −0.5: 16.8", () => {
    within(scoreOf([touchpoint(-0.5)]), 16.8)
  })

  it("one NPS answer, 10: 89.1", () => {
    within(scoreOf([survey("nps", 10)]), 89.1)
  })

  it("one NPS answer, 0: 10.9", () => {
    within(scoreOf([survey("nps", 0)]), 10.9)
  })

  it("eight daily expectations, not negotiated, expected 0.5, actual 0.8 (after the eighth): 71.8", () => {
    const events = Array.from({ length: 8 }, (_, day) => expectation(0.5, 0.8, { t: T0 + day * DAY }))
    within(scoreOf(events), 71.8)
  })
})
