import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { XpEvent } from "../src/index.ts"
import { arbitraryJourney, decodeJourneyEvents } from "../src/testing/index.ts"

const identity = (event: { readonly source: string; readonly id: string }) => JSON.stringify([event.source, event.id])

const byCustomer = (events: ReadonlyArray<XpEvent>) => {
  const groups = new Map<string, Array<XpEvent>>()
  for (const event of events) groups.set(event.subject, [...(groups.get(event.subject) ?? []), event])
  return groups
}

describe("multi-customer journeys", () => {
  it("are valid events, each (source, id) once in distinct, with times strictly increasing per customer", () => {
    fc.assert(
      fc.property(arbitraryJourney({ latenessMs: 3_600_000, duplicateRate: 0.2 }), (journey) => {
        const distinct = decodeJourneyEvents(journey.distinct)
        expect(new Set(distinct.map(identity)).size).toBe(distinct.length)
        for (const events of byCustomer(distinct).values()) {
          for (let i = 1; i < events.length; i++) expect(events[i]!.timeMs).toBeGreaterThan(events[i - 1]!.timeMs)
        }
        expect(new Set(distinct.map((event) => event.subject))).toEqual(new Set(journey.customers))
      }),
      { numRuns: 200 }
    )
  })

  it("deliver every distinct event, plus re-sends that are byte-identical to their original", () => {
    fc.assert(
      fc.property(arbitraryJourney({ duplicateRate: 0.3, latenessMs: 60_000 }), (journey) => {
        expect(journey.events.length).toBe(journey.distinct.length + journey.duplicates)
        const originals = new Map(journey.distinct.map((event) => [identity(event), JSON.stringify(event)]))
        for (const event of journey.events) expect(JSON.stringify(event)).toBe(originals.get(identity(event)))
        expect(new Set(journey.events.map(identity)).size).toBe(journey.distinct.length)
      }),
      { numRuns: 200 }
    )
  })

  it("arrive in event-time order per customer when no lateness is allowed", () => {
    fc.assert(
      fc.property(arbitraryJourney(), (journey) => {
        for (const events of byCustomer(decodeJourneyEvents(journey.events)).values()) {
          for (let i = 1; i < events.length; i++) expect(events[i]!.timeMs).toBeGreaterThan(events[i - 1]!.timeMs)
        }
      }),
      { numRuns: 200 }
    )
  })

  it("arrive less than the lateness behind the newest event of their customer", () => {
    const latenessMs = 6 * 3_600_000
    let outOfOrder = 0
    fc.assert(
      fc.property(
        arbitraryJourney({ latenessMs, maxGapMs: 4 * 3_600_000, eventsPerCustomer: { min: 5, max: 30 } }),
        (journey) => {
          for (const events of byCustomer(decodeJourneyEvents(journey.events)).values()) {
            let newest = Number.NEGATIVE_INFINITY
            for (const event of events) {
              if (event.timeMs < newest) outOfOrder++
              expect(newest - event.timeMs).toBeLessThan(latenessMs)
              newest = Math.max(newest, event.timeMs)
            }
          }
        }
      ),
      { numRuns: 200 }
    )
    expect(outOfOrder).toBeGreaterThan(0)
  })

  it("resolve only issues opened earlier for the same customer, by issueId", () => {
    const seen = { opened: 0, resolved: 0, expectation: 0, survey: 0, touchpoint: 0, dimensionsReused: 0 }
    fc.assert(
      fc.property(arbitraryJourney({ customers: { min: 2, max: 8 } }), (journey) => {
        for (const events of byCustomer(decodeJourneyEvents(journey.distinct)).values()) {
          const open = new Set<string>()
          const dimensions = new Set<string>()
          for (const event of events) {
            if (event.kind === "issue.opened") {
              expect(open.has(event.data.issueId)).toBe(false)
              open.add(event.data.issueId)
              seen.opened++
            } else if (event.kind === "issue.resolved") {
              expect(open.delete(event.data.issueId)).toBe(true)
              seen.resolved++
            } else if (event.kind === "expectation") {
              if (dimensions.has(event.data.dimension)) seen.dimensionsReused++
              dimensions.add(event.data.dimension)
              seen.expectation++
            } else seen[event.kind]++
          }
          expect(dimensions.size).toBeLessThanOrEqual(3)
        }
      }),
      { numRuns: 200 }
    )
    for (const count of Object.values(seen)) expect(count).toBeGreaterThan(20)
  })
})
