import {
  type ApplyOutcome,
  apply,
  type CustomerState,
  DAY_MS,
  defaultParams,
  emptyState,
  type ModelEvent,
  type Params,
  scoreAt
} from "../src/index.ts"

/** The calibration date of the drift: the worked values are at this time (no drift yet). */
export const T0 = 1_700_000_000_000
export const HOUR = 3_600_000
export const DAY = DAY_MS

let counter = 0
/** A fresh event id (tests that care about ids pass their own). */
export const nextId = (prefix = "e") => `${prefix}-${String(++counter).padStart(6, "0")}`

interface Common {
  readonly t?: number
  readonly id?: string
  readonly source?: string
}

export const touchpoint = (quality: number, o: Common = {}): ModelEvent => ({
  kind: "touchpoint",
  id: o.id ?? nextId("tp"),
  source: o.source ?? "/app",
  t: o.t ?? T0,
  quality
})

export const expectation = (
  expected: number,
  actual: number,
  o: Common & { readonly dimension?: string; readonly negotiated?: boolean } = {}
): ModelEvent => ({
  kind: "expectation",
  id: o.id ?? nextId("ex"),
  source: o.source ?? "/checkout",
  t: o.t ?? T0,
  dimension: o.dimension ?? "delivery-speed",
  expected,
  actual,
  negotiated: o.negotiated ?? false
})

export const negotiated = (expected: number, actual: number, o: Common & { readonly dimension?: string } = {}) =>
  expectation(expected, actual, { ...o, negotiated: true })

export const issueOpened = (issueId: string, severity: number, o: Common = {}): ModelEvent => ({
  kind: "issueOpened",
  id: o.id ?? nextId("io"),
  source: o.source ?? "/support-desk",
  t: o.t ?? T0,
  issueId,
  severity
})

export const issueResolved = (issueId: string, quality: number, withinSla: boolean, o: Common = {}): ModelEvent => ({
  kind: "issueResolved",
  id: o.id ?? nextId("ir"),
  source: o.source ?? "/support-desk",
  t: o.t ?? T0,
  issueId,
  quality,
  withinSla
})

export const survey = (scale: "csat" | "nps" | "ces", value: number, o: Common = {}): ModelEvent => ({
  kind: "survey",
  id: o.id ?? nextId("sv"),
  source: o.source ?? "/survey-tool",
  t: o.t ?? T0,
  scale,
  value
})

/** Given these events (in this arrival order), the state after applying them. */
export const fold = (events: ReadonlyArray<ModelEvent>, params: Params = defaultParams): CustomerState => {
  const state = emptyState()
  for (const event of events) apply(state, event, params)
  return state
}

/** Given these events, the outcome of each. */
export const outcomes = (
  events: ReadonlyArray<ModelEvent>,
  params: Params = defaultParams
): { readonly state: CustomerState; readonly outcomes: ReadonlyArray<ApplyOutcome> } => {
  const state = emptyState()
  return { state, outcomes: events.map((event) => apply(state, event, params)) }
}

/** The score right after the last event (at the latest event time), or at `atMs`. */
export const scoreOf = (events: ReadonlyArray<ModelEvent>, atMs?: number, params: Params = defaultParams): number => {
  const state = fold(events, params)
  return scoreAt(state, atMs ?? Math.max(...events.map((e) => e.t)), params)
}
