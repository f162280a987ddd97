import { currentRegistry, decodeEvent, encodeEventJson, type XpEvent } from "@xpscore/events"
import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  type EventRecord,
  HOUR_MS,
  invalidKinds,
  recordBytes,
  type SimulatedRecord,
  type SimulationOptions,
  simulationRecords,
  sources,
  summarizeRecords,
  withSimulationDefaults
} from "../src/index.ts"

const START = Date.UTC(2024, 2, 1)

const optionsWith = (overrides: Partial<SimulationOptions>): SimulationOptions =>
  withSimulationDefaults({ customers: 150, days: 45, startMs: START, ...overrides })

const ndjson = (options: SimulationOptions) =>
  Buffer.concat([...simulationRecords(options)].flatMap((record) => [recordBytes(record), Buffer.from("\n")]))

/** Splits NDJSON bytes into lines as bytes (a line may not be UTF-8). */
const linesOf = (bytes: Buffer) => {
  const lines: Array<Buffer> = []
  let start = 0
  for (let i = bytes.indexOf(0x0a); i !== -1; i = bytes.indexOf(0x0a, start)) {
    lines.push(bytes.subarray(start, i))
    start = i + 1
  }
  return lines
}

const decoded = (record: SimulatedRecord): XpEvent => {
  const result = decodeEvent(currentRegistry, record.value)
  if (Result.isFailure(result)) throw new Error(`${result.failure.message} in ${String(record.value)}`)
  return result.success
}

const isEvent = (record: SimulatedRecord): record is EventRecord => record.kind === "event"

describe("a simulation is a pure function of its options", () => {
  it("writes byte-identical NDJSON for the same seed and different NDJSON for another seed", () => {
    const options = optionsWith({ duplicateRate: 0.05, lateRate: 0.05, invalidRate: 0.05 })
    const first = ndjson(options)
    expect(first.length).toBeGreaterThan(100_000)
    expect(ndjson(options).equals(first)).toBe(true)
    expect(ndjson({ ...options, seed: options.seed + 1 }).equals(first)).toBe(false)
  })

  it("gives a customer the same journey however many customers are simulated", () => {
    const few = [...simulationRecords(optionsWith({ customers: 20 }))]
    const many = [...simulationRecords(optionsWith({ customers: 120 }))]
    for (const customer of ["customer-00001", "customer-00017"]) {
      const of = (records: ReadonlyArray<SimulatedRecord>) =>
        records.filter((record) => record.customerId === customer).map((record) => record.value)
      expect(of(few).length).toBeGreaterThan(2)
      expect(of(many)).toEqual(of(few))
    }
  })

  it("keeps the journeys when only the defect rates change", () => {
    const eventsOf = (options: SimulationOptions) =>
      [...simulationRecords(options)]
        .filter(isEvent)
        .map((record) => record.value)
        .sort()
    const clean = eventsOf(optionsWith({ duplicateRate: 0, lateRate: 0, invalidRate: 0 }))
    expect(eventsOf(optionsWith({ duplicateRate: 0.2, lateRate: 0.2, invalidRate: 0.2 }))).toEqual(clean)
  })
})

describe("the records", () => {
  const options = optionsWith({
    customers: 300,
    days: 60,
    duplicateRate: 0.05,
    lateRate: 0.08,
    lateBeyondHorizonShare: 0.25,
    invalidRate: 0.04
  })
  const records = [...simulationRecords(options)]
  const summary = summarizeRecords(options, records)
  const events = records.filter(isEvent)

  it("are valid events in exactly the form encodeEvent writes, but for the invalid ones", () => {
    for (const record of records) {
      if (record.kind === "invalid") continue
      const event = decoded(record)
      expect(encodeEventJson(event)).toBe(record.value)
      expect(event.subject).toBe(record.customerId)
      expect([event.source, event.id, event.type, event.timeMs]).toEqual([
        record.source,
        record.id,
        record.type,
        record.timeMs
      ])
    }
  })

  it("come in arrival order, and events of a customer in event-time order unless late", () => {
    for (let i = 1; i < records.length; i++) {
      expect(records[i]!.arrivalMs).toBeGreaterThanOrEqual(records[i - 1]!.arrivalMs)
    }
    const newest = new Map<string, number>()
    for (const record of events) {
      const before = newest.get(record.customerId) ?? Number.NEGATIVE_INFINITY
      if (record.lateByMs === 0) expect(record.timeMs).toBeGreaterThanOrEqual(before)
      newest.set(record.customerId, Math.max(before, record.timeMs))
    }
  })

  it("hit the requested rates of duplicates, late and invalid records within 15 %", () => {
    const n = summary.events.total
    expect(n).toBeGreaterThan(8_000)
    const near = (actual: number, expected: number) => {
      expect(actual).toBeGreaterThan(expected * 0.85)
      expect(actual).toBeLessThan(expected * 1.15)
    }
    near(summary.duplicates, n * options.duplicateRate)
    near(summary.invalid.total, n * options.invalidRate)
    near(summary.late.total, n * options.lateRate)
    near(summary.late.beyondHorizon, n * options.lateRate * options.lateBeyondHorizonShare)
    near(summary.late.withinHorizon, n * options.lateRate * (1 - options.lateBeyondHorizonShare))
    expect(summary.records).toBe(n + summary.duplicates + summary.invalid.total)
  })

  it("are late exactly as the summary says, measured from the output as the scorer will see it", () => {
    const newest = new Map<string, number>()
    let within = 0
    let beyond = 0
    for (const record of records) {
      if (record.kind === "invalid") continue
      const event = decoded(record)
      const before = newest.get(event.subject) ?? Number.NEGATIVE_INFINITY
      if (record.kind === "event") {
        const lateBy = before - event.timeMs
        if (lateBy > 24 * HOUR_MS) beyond++
        else if (lateBy > 0) within++
        expect(record.lateByMs).toBe(Math.max(0, lateBy))
      }
      newest.set(event.subject, Math.max(before, event.timeMs))
    }
    expect({ within, beyond }).toEqual({
      within: summary.late.withinHorizon,
      beyond: summary.late.beyondHorizon
    })
    // late inside the horizon stays clear of its edge, beyond it clearly beyond
    for (const record of events) {
      if (record.lateByMs > 0) {
        expect(record.lateByMs <= 23.5 * HOUR_MS || record.lateByMs >= 25 * HOUR_MS).toBe(true)
      }
    }
  })

  it("repeat a duplicated event byte for byte, after the original, with the same source and id", () => {
    const originals = new Map(events.map((record) => [`${record.source} ${record.id}`, record]))
    expect(originals.size).toBe(events.length)
    let duplicates = 0
    for (const record of records) {
      if (record.kind !== "duplicate") continue
      duplicates++
      const original = originals.get(`${record.source} ${record.id}`)!
      expect(record.value).toBe(original.value)
      expect(record.arrivalMs).toBeGreaterThan(original.arrivalMs)
      expect(records.indexOf(record)).toBeGreaterThan(records.indexOf(original))
    }
    expect(duplicates).toBe(summary.duplicates)
  })

  it("resolve only issues that were opened, each once, with the same id and customer", () => {
    const opened = new Map<string, XpEvent>()
    const resolved = new Set<string>()
    for (const record of events) {
      const event = decoded(record)
      if (event.kind === "issue.opened") {
        expect(opened.has(event.data.issueId)).toBe(false)
        opened.set(event.data.issueId, event)
      }
    }
    for (const record of events) {
      const event = decoded(record)
      if (event.kind !== "issue.resolved") continue
      const open = opened.get(event.data.issueId)
      expect(open, `resolution of unknown issue ${event.data.issueId}`).toBeDefined()
      expect(open!.subject).toBe(event.subject)
      expect(open!.timeMs).toBeLessThan(event.timeMs)
      expect(resolved.has(event.data.issueId)).toBe(false)
      resolved.add(event.data.issueId)
    }
    expect(resolved.size).toBeGreaterThan(20)
    expect(opened.size - resolved.size).toBe(summary.journeys.issues.stillOpen)
  })

  it("break invalid records exactly the way they say, naming the field and the rule", () => {
    const invalid = records.filter((record) => record.kind === "invalid")
    expect(invalid.length).toBe(summary.invalid.total)
    for (const record of invalid) {
      const result = decodeEvent(currentRegistry, record.value)
      expect(Result.isFailure(result), `${record.invalidKind} decoded`).toBe(true)
      if (Result.isFailure(result)) {
        expect({ kind: record.invalidKind, path: result.failure.path, rule: result.failure.rule }).toEqual({
          kind: record.invalidKind,
          path: record.path,
          rule: record.rule
        })
      }
    }
  })

  it("count what the summary says, customer by customer", () => {
    expect(summary.events.total).toBe(events.length)
    expect(summary.activeCustomers).toBe(new Set(events.map((record) => record.customerId)).size)
    expect(summary.activeCustomers).toBeGreaterThan(options.customers * 0.95)
    const byType: Record<string, number> = {}
    for (const record of events) byType[record.type] = (byType[record.type] ?? 0) + 1
    expect(summary.events.byType).toEqual(byType)
  })
})

describe("journeys look like real traffic", () => {
  const options = optionsWith({ customers: 800, days: 90 })
  const records = [...simulationRecords(options)]
  const summary = summarizeRecords(options, records)
  const events = records.filter(isEvent).map((record) => ({ record, event: decoded(record) }))

  it("come from several services, channels and segments", () => {
    expect(Object.keys(summary.events.bySource).sort()).toEqual([...sources].sort())
    expect(new Set(events.map(({ event }) => event.channel)).size).toBeGreaterThanOrEqual(4)
    expect(new Set(events.map(({ event }) => event.segment))).toEqual(new Set(["consumer", "smb", "enterprise"]))
    expect(Object.keys(summary.events.byType)).toHaveLength(5)
  })

  it("meet, exceed and miss expectations on several dimensions, some negotiated", () => {
    const { expectations } = summary.journeys
    const total = expectations.met + expectations.exceeded + expectations.missed
    expect(expectations.met / total).toBeGreaterThan(0.5)
    expect(expectations.exceeded / total).toBeGreaterThan(0.05)
    expect(expectations.missed / total).toBeGreaterThan(0.05)
    expect(expectations.negotiated / total).toBeGreaterThan(0.03)
    const dimensions = new Set(
      events.flatMap(({ event }) => (event.kind === "expectation" ? [event.data.dimension] : []))
    )
    expect(dimensions).toEqual(new Set(["price", "delivery-speed", "product-quality"]))
  })

  it("recover issues well, partly and badly, mostly within SLA, rarely with a second failure", () => {
    const { issues } = summary.journeys
    const resolved = issues.resolved.well + issues.resolved.partly + issues.resolved.badly
    expect(issues.resolved.well / resolved).toBeGreaterThan(0.3)
    expect(issues.resolved.partly / resolved).toBeGreaterThan(0.2)
    expect(issues.resolved.badly / resolved).toBeGreaterThan(0.08)
    expect(issues.resolvedWithinSla / resolved).toBeGreaterThan(0.6)
    expect(issues.secondFailures).toBeGreaterThan(0)
    expect(issues.secondFailures / issues.opened).toBeLessThan(0.1)
    const severities = events.flatMap(({ event }) => (event.kind === "issue.opened" ? [event.data.severity] : []))
    expect(Math.min(...severities)).toBeLessThan(0.3)
    expect(Math.max(...severities)).toBeGreaterThan(0.7)
    // badly recovered issues are the ones outside SLA or of low quality: the model's double deviation
    for (const { record, event } of events) {
      if (event.kind !== "issue.resolved" || record.note.kind !== "issue-resolved") continue
      if (record.note.recovery === "well") expect(event.data.quality >= 0.8 && event.data.withinSla).toBe(true)
      if (record.note.recovery === "badly") expect(event.data.quality < 0.3 || !event.data.withinSla).toBe(true)
    }
  })

  it("have touchpoints that show competence and character", () => {
    const { touchpoints } = summary.journeys
    expect(touchpoints.competence).toBeGreaterThan(100)
    expect(touchpoints.character).toBeGreaterThan(100)
    expect(touchpoints.unspecified).toBeGreaterThan(100)
  })

  it("have survey answers that agree with what happened to the customer", () => {
    const normalised = (event: XpEvent) =>
      event.kind !== "survey"
        ? undefined
        : event.data.scale === "csat"
          ? (event.data.value - 1) / 4
          : event.data.scale === "nps"
            ? event.data.value / 10
            : (event.data.value - 1) / 6
    const mean = (values: ReadonlyArray<number>) => values.reduce((a, b) => a + b, 0) / values.length
    const hadIssue = new Set(
      events.filter(({ event }) => event.kind === "issue.opened").map(({ record }) => record.customerId)
    )
    /** when each customer's badly recovered issues ended */
    const badEndings = new Map<string, Array<number>>()
    for (const { record } of events) {
      if (record.note.kind === "issue-resolved" && record.note.recovery === "badly") {
        badEndings.set(record.customerId, [...(badEndings.get(record.customerId) ?? []), record.timeMs])
      }
    }
    const satisfaction = (keep: (customer: string, timeMs: number) => boolean) =>
      events.flatMap(({ record, event }) =>
        event.kind === "survey" && event.data.scale !== "ces" && keep(record.customerId, event.timeMs)
          ? [normalised(event)!]
          : []
      )
    const unharmed = satisfaction((customer) => !hadIssue.has(customer))
    const soonAfterBadRecovery = satisfaction((customer, timeMs) =>
      (badEndings.get(customer) ?? []).some((end) => timeMs > end && timeMs - end < 21 * 86_400_000)
    )
    expect(soonAfterBadRecovery.length).toBeGreaterThan(20)
    expect(mean(soonAfterBadRecovery)).toBeLessThan(mean(unharmed) - 0.1)

    const answers = (customers: (customer: string) => boolean, scales: ReadonlyArray<string>) =>
      events.flatMap(({ record, event }) =>
        event.kind === "survey" && scales.includes(event.data.scale) && customers(record.customerId)
          ? [normalised(event)!]
          : []
      )
    const effortAfter = (recovery: string) => {
      const customers = new Set(
        events
          .filter(({ record }) => record.note.kind === "issue-resolved" && record.note.recovery === recovery)
          .map(({ record }) => record.customerId)
      )
      return mean(answers((c) => customers.has(c), ["ces"]))
    }
    expect(effortAfter("well")).toBeGreaterThan(effortAfter("badly") + 0.2)
  })
})

describe("properties over arbitrary options", () => {
  it("any seed and rates: valid records decode, invalid ones fail as announced, the summary counts them", () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.nat(),
          customers: fc.integer({ min: 1, max: 12 }),
          days: fc.integer({ min: 1, max: 40 }),
          duplicateRate: fc.double({ min: 0, max: 1, noNaN: true }),
          lateRate: fc.double({ min: 0, max: 1, noNaN: true }),
          lateBeyondHorizonShare: fc.double({ min: 0, max: 1, noNaN: true }),
          invalidRate: fc.double({ min: 0, max: 1, noNaN: true }),
          startMs: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2090, 0, 1) })
        }),
        (overrides) => {
          const options = withSimulationDefaults(overrides)
          const records = [...simulationRecords(options)]
          const summary = summarizeRecords(options, records)
          const endMs = options.startMs + options.days * 86_400_000
          let events = 0
          for (const record of records) {
            const result = decodeEvent(currentRegistry, record.value)
            if (record.kind === "invalid") {
              expect(Result.isFailure(result) && [result.failure.path, result.failure.rule]).toEqual([
                record.path,
                record.rule
              ])
            } else {
              expect(Result.isSuccess(result)).toBe(true)
              expect(record.timeMs).toBeGreaterThanOrEqual(options.startMs)
              expect(record.timeMs).toBeLessThan(endMs)
              if (record.kind === "event") events++
            }
          }
          expect(summary.events.total).toBe(events)
          expect(summary.records).toBe(records.length)
          expect(summary.late.total).toBeLessThanOrEqual(events)
          expect(Object.keys(summary.invalid.byKind)).toEqual([...invalidKinds])
        }
      ),
      { numRuns: 60 }
    )
  })

  it("every kind of invalid record occurs in a stream with many of them, each failing as announced", () => {
    const options = optionsWith({ customers: 60, invalidRate: 0.5 })
    const text = linesOf(ndjson(options))
    const records = [...simulationRecords(options)]
    expect(text).toHaveLength(records.length)
    const kinds = new Set(records.flatMap((record) => (record.kind === "invalid" ? [record.invalidKind] : [])))
    expect(kinds).toEqual(new Set(invalidKinds))
    records.forEach((record, i) => {
      if (record.kind !== "invalid") return
      const result = decodeEvent(currentRegistry, text[i]!)
      expect(Result.isFailure(result) && [result.failure.path, result.failure.rule]).toEqual([record.path, record.rule])
    })
  })
})
