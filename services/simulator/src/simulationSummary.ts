import { formatTimestamp } from "@xpscore/events"
import type { ExpectationOutcome, Recovery } from "./customerJourney.ts"
import { customerProfile, type Segment, segments } from "./customerProfile.ts"
import { type InvalidKind, invalidKinds } from "./invalidRecords.ts"
import type { SimulatedRecord } from "./simulatedRecord.ts"
import { DAY_MS, HOUR_MS, type SimulationOptions } from "./simulationOptions.ts"

/** What a simulation produced, counted from its records (JSON-ready). */
export interface SimulationSummary {
  readonly seed: number
  readonly customers: number
  /** customers with at least one event (a customer who joins on the last day may have none) */
  readonly activeCustomers: number
  readonly customersBySegment: Readonly<Record<Segment, number>>
  readonly days: number
  /** the simulated window, RFC 3339 */
  readonly start: string
  readonly end: string
  /** every record: events, duplicates and invalid records */
  readonly records: number
  readonly bytes: number
  readonly events: {
    readonly total: number
    readonly byType: Readonly<Record<string, number>>
    readonly bySource: Readonly<Record<string, number>>
  }
  readonly duplicates: number
  readonly late: {
    readonly total: number
    readonly withinHorizon: number
    readonly beyondHorizon: number
    readonly allowedLatenessHours: number
  }
  readonly invalid: { readonly total: number; readonly byKind: Readonly<Record<InvalidKind, number>> }
  readonly journeys: {
    readonly expectations: Readonly<Record<ExpectationOutcome, number>> & { readonly negotiated: number }
    readonly issues: {
      readonly opened: number
      readonly secondFailures: number
      readonly resolved: Readonly<Record<Recovery, number>>
      readonly resolvedWithinSla: number
      readonly stillOpen: number
    }
    readonly surveys: Readonly<Record<"csat" | "nps" | "ces", number>>
    readonly touchpoints: { readonly competence: number; readonly character: number; readonly unspecified: number }
  }
}

const zeros = <K extends string>(keys: ReadonlyArray<K>) =>
  Object.fromEntries(keys.map((key) => [key, 0])) as Record<K, number>

const increment = (counts: Record<string, number>, key: string) => {
  counts[key] = (counts[key] ?? 0) + 1
}

const sorted = (counts: Record<string, number>) =>
  Object.fromEntries(Object.entries(counts).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))

/** Counts records as they pass; `summary()` at any moment. */
export class SimulationTally {
  private readonly options: SimulationOptions
  private readonly subjects = new Set<string>()
  private records = 0
  private bytes = 0
  private readonly byType: Record<string, number> = {}
  private readonly bySource: Record<string, number> = {}
  private events = 0
  private duplicates = 0
  private lateWithin = 0
  private lateBeyond = 0
  private readonly invalid = zeros(invalidKinds)
  private readonly expectations = { ...zeros(["met", "exceeded", "missed"] as const), negotiated: 0 }
  private opened = 0
  private secondFailures = 0
  private readonly resolved = zeros(["well", "partly", "badly"] as const)
  private resolvedWithinSla = 0
  private readonly surveys = zeros(["csat", "nps", "ces"] as const)
  private readonly touchpoints = { competence: 0, character: 0, unspecified: 0 }

  constructor(options: SimulationOptions) {
    this.options = options
  }

  add(record: SimulatedRecord) {
    this.records++
    this.bytes += typeof record.value === "string" ? Buffer.byteLength(record.value, "utf8") : record.value.byteLength
    if (record.kind === "duplicate") {
      this.duplicates++
      return
    }
    if (record.kind === "invalid") {
      this.invalid[record.invalidKind]++
      return
    }
    this.events++
    this.subjects.add(record.customerId)
    increment(this.byType, record.type)
    increment(this.bySource, record.source)
    if (record.lateByMs > this.options.allowedLatenessMs) this.lateBeyond++
    else if (record.lateByMs > 0) this.lateWithin++
    const note = record.note
    switch (note.kind) {
      case "expectation":
        this.expectations[note.outcome]++
        if (note.negotiated) this.expectations.negotiated++
        break
      case "issue-opened":
        this.opened++
        if (note.secondFailure) this.secondFailures++
        break
      case "issue-resolved":
        this.resolved[note.recovery]++
        if (note.withinSla) this.resolvedWithinSla++
        break
      case "survey":
        this.surveys[note.scale]++
        break
      case "touchpoint":
        this.touchpoints[note.aspect ?? "unspecified"]++
        break
    }
  }

  summary(): SimulationSummary {
    const { options } = this
    const customersBySegment = zeros(segments)
    for (let i = 0; i < options.customers; i++) customersBySegment[customerProfile(options, i).segment]++
    const resolvedTotal = this.resolved.well + this.resolved.partly + this.resolved.badly
    return {
      seed: options.seed,
      customers: options.customers,
      activeCustomers: this.subjects.size,
      customersBySegment,
      days: options.days,
      start: formatTimestamp(options.startMs),
      end: formatTimestamp(options.startMs + options.days * DAY_MS),
      records: this.records,
      bytes: this.bytes,
      events: { total: this.events, byType: sorted(this.byType), bySource: sorted(this.bySource) },
      duplicates: this.duplicates,
      late: {
        total: this.lateWithin + this.lateBeyond,
        withinHorizon: this.lateWithin,
        beyondHorizon: this.lateBeyond,
        allowedLatenessHours: options.allowedLatenessMs / HOUR_MS
      },
      invalid: { total: invalidKinds.reduce((sum, kind) => sum + this.invalid[kind], 0), byKind: { ...this.invalid } },
      journeys: {
        expectations: { ...this.expectations },
        issues: {
          opened: this.opened,
          secondFailures: this.secondFailures,
          resolved: { ...this.resolved },
          resolvedWithinSla: this.resolvedWithinSla,
          stillOpen: Math.max(0, this.opened - resolvedTotal)
        },
        surveys: { ...this.surveys },
        touchpoints: { ...this.touchpoints }
      }
    }
  }
}

/** Generates a simulation only to count it: the summary of what writing or publishing it will produce. */
export const summarizeRecords = (options: SimulationOptions, records: Iterable<SimulatedRecord>): SimulationSummary => {
  const tally = new SimulationTally(options)
  for (const record of records) tally.add(record)
  return tally.summary()
}
