import { currentRegistry, decodeEventOrThrow, formatTimestamp, type ScoreRecord } from "@xpscore/events"
import { arbitraryJourney, type XpEventWire } from "@xpscore/events/testing"
import {
  apply,
  type CustomerState,
  componentsOf,
  DAY_MS,
  defaultParams,
  emptyState,
  fromInteraction,
  modelVersionId,
  type Params,
  termsFromComponents
} from "@xpscore/scoring"
import fc from "fast-check"

/**
 * Score records computed from real journeys with the model's own fold, as
 * the scorer will publish them (libs/events scoreRecord.ts): one per
 * interaction event per customer, in arrival order, seq 1, 2, 3, …
 */

/** The customer ids the acceptance criteria name, plus ordinary ones. */
export const hostileCustomerIds = [
  "o'brien",
  "back\\slash",
  "\\'",
  "'); DROP TABLE x; --",
  "😀👍🏽 emoji",
  "Ærøskøbing – 東京",
  'Zoë "quoted"',
  "plain-customer"
] as const

export const formulaOf = (params: Params): ScoreRecord["formula"] => ({
  halfLifePosMs: params.hPosDays * DAY_MS,
  halfLifeNegMs: params.hNegDays * DAY_MS,
  halfLifeEndPosMs: params.hEndPosDays * DAY_MS,
  neutralWeight: params.w0,
  weightAverage: params.omegaAvg,
  weightEnd: params.omegaEnd,
  weightPeak: params.omegaPeak,
  gain: params.g
})

export interface ScoredJourney {
  /** the interaction records in arrival order (wire JSON objects; duplicates included) */
  readonly events: ReadonlyArray<XpEventWire>
  /** one score record per event, in arrival order */
  readonly records: ReadonlyArray<ScoreRecord>
  /** each customer's final state */
  readonly states: ReadonlyMap<string, CustomerState>
  readonly customers: ReadonlyArray<string>
}

/** Folds events (in arrival order) into score records, per customer. */
export const scoreEvents = (events: ReadonlyArray<XpEventWire>, params: Params = defaultParams): ScoredJourney => {
  const states = new Map<string, CustomerState>()
  const previous = new Map<string, number>()
  const records: Array<ScoreRecord> = []
  const modelVersion = modelVersionId(params)
  const formula = formulaOf(params)
  for (const wire of events) {
    const event = decodeEventOrThrow(currentRegistry, wire)
    const customerId = event.subject
    const state = states.get(customerId) ?? emptyState()
    states.set(customerId, state)
    const outcome = apply(state, fromInteraction(event), params)
    const components = componentsOf(state, params)
    const terms = termsFromComponents(components, params, components.tRefMs)
    const previousScore = previous.get(customerId) ?? 50
    previous.set(customerId, terms.score)
    records.push({
      customerId,
      seq: outcome.seq,
      eventId: event.id,
      eventSource: event.source,
      eventType: event.type,
      eventTimeMs: event.timeMs,
      channel: event.channel ?? null,
      segment: event.segment ?? null,
      score: terms.score,
      previousScore,
      index: terms.index,
      impression: outcome.v ?? null,
      recovery: outcome.recovery ?? null,
      flags: { late: outcome.late, duplicate: outcome.duplicate, orphanResolution: outcome.orphanResolution },
      components,
      formula,
      modelVersion
    })
  }
  return { events, records, states, customers: [...states.keys()] }
}

/**
 * A multi-customer journey (fixed seed: the same every run) whose customers
 * carry the hostile ids, with out-of-order arrival, re-sent duplicates and
 * two events later than the allowed lateness.
 */
export const hostileJourney = (seed = 20_261_122): ScoredJourney => {
  const [journey] = fc.sample(
    arbitraryJourney({
      customers: { min: hostileCustomerIds.length, max: hostileCustomerIds.length },
      eventsPerCustomer: { min: 12, max: 30 },
      latenessMs: 6 * 3_600_000,
      duplicateRate: 0.08
    }),
    { seed, numRuns: 1 }
  )
  const rename = new Map(journey!.customers.map((id, i) => [id, hostileCustomerIds[i]!]))
  const events: Array<XpEventWire> = journey!.events.map((event) => ({ ...event, subject: rename.get(event.subject)! }))
  // Two bad moments that arrive two days behind their customer's latest event,
  // beyond the 24-hour allowed lateness: the model flags them late.
  for (const [n, customerId] of hostileCustomerIds.slice(0, 2).entries()) {
    const latest = Math.max(...events.filter((e) => e.subject === customerId).map((e) => Date.parse(e.time)))
    events.push({
      specversion: "1.0",
      id: `late-${n + 1}`,
      source: "web-shop",
      subject: customerId,
      time: formatTimestamp(latest - 2 * 86_400_000),
      type: "xp.touchpoint.v1",
      channel: "web",
      data: { quality: -0.5 }
    })
  }
  return scoreEvents(events)
}
