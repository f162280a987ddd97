import type { SimulationSummary } from "@xpscore/simulator"
import { formatBytes, formatCount, formatPercent, plural } from "./quantityFormat.ts"
import { formatTable } from "./terminalTable.ts"

interface Line {
  readonly what: string
  readonly count: number
  readonly detail: string
}

const countsText = (counts: Readonly<Record<string, number>>) =>
  Object.entries(counts)
    .map(([key, n]) => `${key} ${formatCount(n)}`)
    .join(", ")

const lines = (rows: ReadonlyArray<Line>) =>
  formatTable(
    [
      { header: "", value: (row: Line) => row.what },
      { header: "", align: "right", value: (row: Line) => formatCount(row.count) },
      { header: "", value: (row: Line) => row.detail }
    ],
    rows,
    { indent: "  ", header: false }
  )

/** What a simulation produced, for people: counts, rates and what the journeys held. */
export const formatSimulationSummary = (summary: SimulationSummary): string => {
  const events = summary.events.total
  const { expectations, issues, surveys, touchpoints } = summary.journeys
  const expectationTotal = expectations.met + expectations.exceeded + expectations.missed
  const resolved = issues.resolved.well + issues.resolved.partly + issues.resolved.badly
  const segments = Object.entries(summary.customersBySegment)
    .map(([segment, n]) => `${formatCount(n)} ${segment}`)
    .join(", ")
  const header = [
    `Simulated ${plural(summary.customers, "customer")} (${segments}) over ${plural(summary.days, "day")}, seed ${summary.seed}`,
    `  ${summary.start} to ${summary.end}; ${formatCount(summary.activeCustomers)} customers had events`
  ]
  const records = lines([
    { what: "records", count: summary.records, detail: formatBytes(summary.bytes) },
    { what: "  valid events", count: events, detail: "" },
    {
      what: "  duplicates",
      count: summary.duplicates,
      detail: `${formatPercent(summary.duplicates, events)} of events, re-sent with the same source, id and bytes`
    },
    {
      what: "  invalid",
      count: summary.invalid.total,
      detail: `${formatPercent(summary.invalid.total, events)} of events, sent past validation on purpose`
    },
    {
      what: "late events",
      count: summary.late.total,
      detail: `${formatPercent(summary.late.total, events)} of events: ${formatCount(summary.late.withinHorizon)} within the ${summary.late.allowedLatenessHours} h allowed lateness, ${formatCount(summary.late.beyondHorizon)} beyond it`
    }
  ])
  const byType = lines(
    Object.entries(summary.events.byType).map(([type, n]) => ({
      what: type,
      count: n,
      detail: formatPercent(n, events)
    }))
  )
  const bySource = lines(
    Object.entries(summary.events.bySource).map(([source, n]) => ({
      what: source,
      count: n,
      detail: formatPercent(n, events)
    }))
  )
  const invalid = Object.entries(summary.invalid.byKind).filter(([, n]) => n > 0)
  const journeys = lines([
    {
      what: "expectations",
      count: expectationTotal,
      detail: `met ${formatPercent(expectations.met, expectationTotal)}, exceeded ${formatPercent(expectations.exceeded, expectationTotal)}, missed ${formatPercent(expectations.missed, expectationTotal)}; ${formatCount(expectations.negotiated)} negotiated`
    },
    {
      what: "issues opened",
      count: issues.opened,
      detail: `${plural(issues.secondFailures, "second failure")}, ${formatCount(issues.stillOpen)} still open at the end`
    },
    {
      what: "issues resolved",
      count: resolved,
      detail: `recovered well ${formatCount(issues.resolved.well)}, partly ${formatCount(issues.resolved.partly)}, badly ${formatCount(issues.resolved.badly)}; ${formatPercent(issues.resolvedWithinSla, resolved)} within SLA`
    },
    {
      what: "surveys",
      count: surveys.csat + surveys.nps + surveys.ces,
      detail: countsText(surveys)
    },
    {
      what: "touchpoints",
      count: touchpoints.competence + touchpoints.character + touchpoints.unspecified,
      detail: `competence ${formatCount(touchpoints.competence)}, character ${formatCount(touchpoints.character)}, no aspect ${formatCount(touchpoints.unspecified)}`
    }
  ])
  return [
    ...header,
    "",
    records,
    "",
    "events by type",
    byType,
    "",
    "events by source",
    bySource,
    ...(invalid.length === 0
      ? []
      : ["", "invalid records by kind", lines(invalid.map(([kind, n]) => ({ what: kind, count: n, detail: "" })))]),
    "",
    "journeys",
    journeys
  ].join("\n")
}
