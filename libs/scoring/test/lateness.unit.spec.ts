import { describe, expect, it } from "vitest"
import {
  apply,
  cloneState,
  componentsOf,
  emptyState,
  defaultParams as p,
  parseParams,
  scoreAt,
  serializeState
} from "../src/index.ts"
import {
  DAY,
  expectation,
  fold,
  HOUR,
  issueOpened,
  issueResolved,
  negotiated,
  outcomes,
  survey,
  T0,
  touchpoint
} from "./builders.ts"

const bitsOf = (s: ReturnType<typeof fold>) => componentsOf(s, p)

describe("lateness inside the allowed lateness", () => {
  it("given an event one hour older than the latest, when it arrives, then the buffer is re-folded and the state equals in-order arrival", () => {
    const a = expectation(0.5, 0.9, { t: T0, id: "a" })
    const b = expectation(0.5, 0.7, { t: T0 + HOUR, id: "b" })
    const c = touchpoint(-0.4, { t: T0 + 2 * HOUR, id: "c" })
    const inOrder = fold([a, b, c])
    const { state, outcomes: late } = outcomes([a, c, b])
    expect(late[2]).toMatchObject({ reordered: true, late: false, applied: true })
    expect(bitsOf(state)).toEqual(bitsOf(inOrder))
    expect(state.reordered).toBe(1)
    expect(state.late).toBe(0)
  })

  it("given a resolution that arrives before its opening (both inside the horizon), then it is an orphan only until the opening arrives", () => {
    const opened = issueOpened("i-1", 0.4, { t: T0 })
    const resolved = issueResolved("i-1", 0.9, true, { t: T0 + HOUR })
    const { state, outcomes: all } = outcomes([resolved, opened])
    expect(all[0]).toMatchObject({ orphanResolution: true })
    expect(all[1]).toMatchObject({ reordered: true })
    expect(state.orphanResolutions).toBe(0)
    expect(bitsOf(state)).toEqual(bitsOf(fold([opened, resolved])))
  })

  it("given equal times, then the canonical order is (t, id, source)", () => {
    const x = negotiated(0.5, 1, { t: T0, id: "b" })
    const y = touchpoint(-1, { t: T0, id: "a" })
    const last = componentsOf(fold([x, y]), p)
    // y has the smaller id: x is the last impression whatever the arrival order.
    expect(last.lastV).toBeCloseTo(0.25 + 0.5 ** p.a, 12)
    expect(componentsOf(fold([y, x]), p)).toEqual(last)
  })
})

describe("lateness beyond the horizon", () => {
  const latest = touchpoint(0.2, { t: T0 + 3 * DAY, id: "latest" })

  it("given an event older than the allowed lateness, then it enters the sums exactly, is counted and flagged, and last does not move", () => {
    const old = survey("csat", 1, { t: T0, id: "old" })
    const { state, outcomes: all } = outcomes([latest, old])
    expect(all[1]).toMatchObject({ late: true, reordered: false, applied: true, v: -1 })
    expect(state.late).toBe(1)
    const inOrder = componentsOf(fold([old, latest]), p)
    const c = componentsOf(state, p)
    expect(c.sNeg).toBeCloseTo(inOrder.sNeg, 14)
    expect(c.w).toBeCloseTo(inOrder.w, 14)
    expect(c.pNeg).toBeCloseTo(inOrder.pNeg, 14)
    expect(c.lastTMs).toBe(latest.t)
    expect(c.lastV).toBe(0.2)
  })

  it("given a late expectation, then E_dim does not move: the next expectation is judged as without it", () => {
    const next = expectation(0, 0.6, { t: T0 + 3 * DAY + HOUR, id: "next" })
    const lateExceedance = expectation(0, 1, { t: T0, id: "old" })
    const without = outcomes([latest, next]).outcomes[1]!.v
    const withLate = outcomes([latest, lateExceedance, next]).outcomes[2]!.v
    expect(withLate).toBe(without)
  })

  it("given a late issue opening, then it is not a failure of the recovery gate and waits for no resolution", () => {
    const lateOpening = issueOpened("old-issue", 0.3, { t: T0, id: "old" })
    const { state, outcomes: all } = outcomes([
      latest,
      lateOpening,
      issueOpened("i-2", 0.3, { t: T0 + 3 * DAY + HOUR }),
      issueResolved("i-2", 1, true, { t: T0 + 3 * DAY + 2 * HOUR }),
      issueResolved("old-issue", 1, true, { t: T0 + 3 * DAY + 3 * HOUR })
    ])
    expect(all[1]).toMatchObject({ late: true })
    expect(all[1]!.v).toBeCloseTo(-p.lambda * 0.3 ** p.a, 12)
    expect(all[3]).toMatchObject({ recovery: "paradox" })
    expect(all[4]).toMatchObject({ orphanResolution: true })
    expect(state.late).toBe(1)
  })

  it("given a late resolution of an open issue, then the issue stays open (no recovery state moves) and the event is counted", () => {
    const opened = issueOpened("i-1", 0.4, { t: T0, id: "opened" })
    const after = touchpoint(0.1, { t: T0 + 3 * DAY, id: "after" })
    const lateResolution = issueResolved("i-1", 1, true, { t: T0 + HOUR, id: "resolution" })
    const before = fold([opened, after])
    const { state, outcomes: all } = outcomes([opened, after, lateResolution])
    expect(all[2]).toMatchObject({ late: true, v: undefined, recovery: undefined })
    expect(componentsOf(state, p)).toEqual(componentsOf(before, p))
    expect(state.late).toBe(1)
  })

  it("given the same late arrival replayed, then the state is bit-identical", () => {
    const events = [latest, survey("nps", 2, { t: T0, id: "old" }), touchpoint(0.5, { t: T0 + 4 * DAY, id: "n" })]
    expect(serializeState(fold(events))).toEqual(serializeState(fold(events)))
  })
})

describe("the buffer cap", () => {
  const params = (() => {
    const parsed = parseParams({ bufferCap: 3 })
    if (!parsed.ok) throw new Error(parsed.errors.join("; "))
    return parsed.params
  })()

  it("given more events inside the lateness than the cap, then only the newest stay re-foldable and an older arrival is late", () => {
    const state = emptyState()
    for (let i = 0; i < 5; i++) apply(state, touchpoint(0.1 * i, { t: T0 + i * HOUR, id: `e${i}` }), params)
    expect(state.bc).toBe(3)
    // Inside the allowed lateness but before the oldest buffered event: it cannot be re-folded.
    const outcome = apply(state, touchpoint(-0.5, { t: T0 + HOUR + 1, id: "x" }), params)
    expect(outcome).toMatchObject({ late: true })
    // After the oldest buffered one: re-folded, and the cap pushes the oldest out.
    const inside = apply(state, touchpoint(-0.5, { t: T0 + 3 * HOUR + 1, id: "y" }), params)
    expect(inside).toMatchObject({ reordered: true, late: false })
    expect(state.bc).toBe(3)
  })
})

describe("duplicates", () => {
  it("given the same (source, id) twice in the buffer, then the second is flagged and changes nothing but the counters", () => {
    const event = touchpoint(0.5, { id: "dup" })
    const state = fold([event])
    const before = cloneState(state)
    const outcome = apply(state, { ...event }, p)
    expect(outcome).toMatchObject({ duplicate: true, applied: false, seq: 2, v: undefined })
    expect(componentsOf(state, p)).toEqual(componentsOf(before, p))
    expect(state.duplicates).toBe(1)
    expect(state.events).toBe(1)
  })

  it("given a duplicate days later (the original left the buffer), then it is recognised by its hash", () => {
    const event = touchpoint(0.5, { id: "dup", t: T0 })
    const state = fold([event, touchpoint(0.1, { t: T0 + 3 * DAY })])
    expect(state.bc).toBe(1)
    const score = scoreAt(state, T0 + 4 * DAY, p)
    expect(apply(state, event, p)).toMatchObject({ duplicate: true })
    expect(scoreAt(state, T0 + 4 * DAY, p)).toBe(score)
  })

  it("given the same id from another source, then it is a different event", () => {
    const state = fold([touchpoint(0.5, { id: "same", source: "/a" })])
    expect(apply(state, touchpoint(0.5, { id: "same", source: "/b" }), p)).toMatchObject({ duplicate: false })
  })

  it("given a duplicate beyond the dedup horizon, then it can no longer be recognised (it is late)", () => {
    const event = touchpoint(0.5, { id: "dup", t: T0 })
    const state = fold([event, touchpoint(0.1, { t: T0 + 8 * DAY })])
    expect(apply(state, event, p)).toMatchObject({ duplicate: false, late: true })
  })

  it("given every arrival, then sequence numbers count 1, 2, 3 … duplicates included", () => {
    const e = touchpoint(0.5, { id: "x" })
    const { outcomes: all } = outcomes([e, e, touchpoint(0.1, { t: T0 + 1 })])
    expect(all.map((o) => o.seq)).toEqual([1, 2, 3])
  })
})
