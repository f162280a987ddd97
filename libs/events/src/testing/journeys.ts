import fc from "fast-check"
import { decodeEventOrThrow } from "../decode.ts"
import { currentRegistry, type XpEvent } from "../registry.ts"
import { formatTimestamp } from "../timestamp.ts"
import { arbitraryId, arbitraryNumberBetween, type SurveyWire, type XpEventWire } from "./arbitraries.ts"

export interface JourneyOptions {
  /** how many customers (default 1–6) */
  readonly customers?: { readonly min: number; readonly max: number }
  /** events per customer before duplicates (default 1–25) */
  readonly eventsPerCustomer?: { readonly min: number; readonly max: number }
  /** the earliest event time, epoch ms (default 2024-01-01) */
  readonly startMs?: number
  /** the longest gap between two events of a customer (default 3 days) */
  readonly maxGapMs?: number
  /**
   * Out-of-order arrival (default 0: every customer's events arrive in event
   * time order). Each event is delayed by less than `latenessMs`, so an event
   * arrives less than `latenessMs` (in event time) behind the newest event of
   * its customer that arrived before it: inside an allowed lateness of
   * `latenessMs`.
   */
  readonly latenessMs?: number
  /** the probability that an event is sent twice, same source and id, byte-identical (default 0) */
  readonly duplicateRate?: number
  /** a re-sent event arrives up to this long (event time) after the original (default `latenessMs`) */
  readonly maxDuplicateDelayMs?: number
}

export interface Journey {
  /** every record as it arrives on the topic, duplicates included */
  readonly events: ReadonlyArray<XpEventWire>
  /** each event once, per customer in event-time order: the offline baseline */
  readonly distinct: ReadonlyArray<XpEventWire>
  readonly customers: ReadonlyArray<string>
  readonly latenessMs: number
  /** how many records of `events` are re-sends */
  readonly duplicates: number
}

/** Everything one step of a customer's journey may need; the step's kind decides what is used. */
const step = fc.record({
  kind: fc.nat(99),
  gapMs: fc.double({ min: 0, max: 1, noNaN: true }),
  delay: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  duplicate: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  duplicateDelay: fc.double({ min: 0, max: 1, noNaN: true }),
  quality: arbitraryNumberBetween(-1, 1),
  aspect: fc.constantFrom(undefined, "competence" as const, "character" as const),
  dimension: fc.nat(2),
  expected: arbitraryNumberBetween(0, 1),
  actual: arbitraryNumberBetween(0, 1),
  negotiated: fc.constantFrom(undefined, false, true),
  severity: arbitraryNumberBetween(0, 1, true),
  resolve: fc.nat(),
  resolutionQuality: arbitraryNumberBetween(0, 1),
  withinSla: fc.boolean(),
  scale: fc.constantFrom("csat" as const, "nps" as const, "ces" as const),
  answer: fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }),
  channel: fc.constantFrom("web", "app", "phone", "email", "store")
})
type Step = typeof step extends fc.Arbitrary<infer S> ? S : never

const customerPlan = (eventsPerCustomer: { readonly min: number; readonly max: number }) =>
  fc.record({
    startOffset: fc.double({ min: 0, max: 1, noNaN: true }),
    segment: fc.constantFrom("consumer", "smb", "enterprise"),
    dimensions: fc.uniqueArray(fc.constantFrom("delivery-speed", "price", "support-response", "product-quality"), {
      minLength: 3,
      maxLength: 3
    }),
    steps: fc.array(step, { minLength: eventsPerCustomer.min, maxLength: eventsPerCustomer.max })
  })

const surveyRanges = { csat: [1, 5], nps: [0, 10], ces: [1, 7] } as const

interface Scheduled {
  readonly event: XpEventWire
  readonly arrival: number
  readonly order: number
}

/**
 * Multi-customer journeys with the structure real traffic has: issues opened
 * and later resolved with the same `issueId` (some stay open), expectations
 * on a few dimensions per customer, surveys, touchpoints; event times
 * strictly increasing per customer; optionally out of order within a
 * lateness bound, and re-sent duplicates. Event ids count per source, so the
 * same id appears under different sources: only (`source`, `id`) is unique.
 */
export const arbitraryJourney = (options: JourneyOptions = {}): fc.Arbitrary<Journey> => {
  const customersRange = options.customers ?? { min: 1, max: 6 }
  const startMs = options.startMs ?? Date.UTC(2024, 0, 1)
  const maxGapMs = options.maxGapMs ?? 3 * 24 * 3_600_000
  const latenessMs = options.latenessMs ?? 0
  const duplicateRate = options.duplicateRate ?? 0
  const maxDuplicateDelayMs = options.maxDuplicateDelayMs ?? latenessMs
  return fc
    .uniqueArray(arbitraryId, { minLength: customersRange.min, maxLength: customersRange.max })
    .chain((customers) =>
      fc
        .array(customerPlan(options.eventsPerCustomer ?? { min: 1, max: 25 }), {
          minLength: customers.length,
          maxLength: customers.length
        })
        .map((plans) => {
          const nextId = new Map<string, number>()
          const idFor = (source: string) => {
            const n = (nextId.get(source) ?? 0) + 1
            nextId.set(source, n)
            return `evt-${n}`
          }
          const scheduled: Array<Scheduled> = []
          const distinct: Array<XpEventWire> = []
          let duplicates = 0
          plans.forEach((plan, c) => {
            const subject = customers[c]!
            let timeMs = startMs + Math.floor(plan.startOffset * maxGapMs)
            const openIssues: Array<string> = []
            let issues = 0
            plan.steps.forEach((s: Step) => {
              timeMs += 1 + Math.floor(s.gapMs * maxGapMs)
              const common = {
                specversion: "1.0" as const,
                subject,
                time: formatTimestamp(timeMs),
                channel: s.channel,
                segment: plan.segment
              }
              let event: XpEventWire
              if (s.kind < 15 && openIssues.length < 2) {
                const issueId = `ticket-${++issues}`
                openIssues.push(issueId)
                const source = "support-desk"
                event = {
                  ...common,
                  id: idFor(source),
                  source,
                  type: "xp.issue.opened.v1",
                  data: { issueId, severity: s.severity }
                }
              } else if (s.kind < 30 && openIssues.length > 0) {
                const [issueId] = openIssues.splice(s.resolve % openIssues.length, 1)
                const source = "support-desk"
                event = {
                  ...common,
                  id: idFor(source),
                  source,
                  type: "xp.issue.resolved.v1",
                  data: { issueId: issueId!, quality: s.resolutionQuality, withinSla: s.withinSla }
                }
              } else if (s.kind < 55) {
                const source = s.dimension === 1 ? "billing" : "delivery"
                event = {
                  ...common,
                  id: idFor(source),
                  source,
                  type: "xp.expectation.v1",
                  data: {
                    dimension: plan.dimensions[s.dimension]!,
                    expected: s.expected,
                    actual: s.actual,
                    ...(s.negotiated === undefined ? {} : { negotiated: s.negotiated })
                  }
                }
              } else if (s.kind < 65) {
                const [min, max] = surveyRanges[s.scale]
                const source = "survey-tool"
                event = {
                  ...common,
                  id: idFor(source),
                  source,
                  type: "xp.survey.v1",
                  data: { scale: s.scale, value: min + Math.floor(s.answer * (max - min + 1)) } as SurveyWire["data"]
                }
              } else {
                const source = s.channel === "store" ? "point-of-sale" : "web-shop"
                event = {
                  ...common,
                  id: idFor(source),
                  source,
                  type: "xp.touchpoint.v1",
                  data: { quality: s.quality, ...(s.aspect === undefined ? {} : { aspect: s.aspect }) }
                }
              }
              distinct.push(event)
              const arrival = timeMs + Math.floor(s.delay * latenessMs)
              scheduled.push({ event, arrival, order: scheduled.length })
              if (s.duplicate < duplicateRate) {
                duplicates++
                const resentAt = arrival + Math.floor(s.duplicateDelay * maxDuplicateDelayMs)
                scheduled.push({ event, arrival: resentAt, order: scheduled.length })
              }
            })
          })
          scheduled.sort((a, b) => a.arrival - b.arrival || a.order - b.order)
          return { events: scheduled.map((s) => s.event), distinct, customers, latenessMs, duplicates }
        })
    )
}

/** The decoded events of a journey, in the given order (for folding offline). */
export const decodeJourneyEvents = (events: ReadonlyArray<XpEventWire>): Array<XpEvent> =>
  events.map((event) => decodeEventOrThrow(currentRegistry, event))
