import type { Contributor, Explanation } from "@xpscore/scoring"
import type { CustomerInspection, ScoredEvent } from "./customerInspection.ts"
import { formatCount, plural } from "./quantityFormat.ts"
import { renderLineChart } from "./terminalChart.ts"
import { formatTable } from "./terminalTable.ts"

const minute = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")}`
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const signed = (value: number, digits = 3) =>
  `${value < 0 ? "−" : value > 0 ? "+" : " "}${Math.abs(value).toFixed(digits)}`

const flagsOf = (event: ScoredEvent) =>
  [
    event.duplicate ? "duplicate (not applied)" : "",
    event.late ? "late" : "",
    event.orphanResolution ? "resolves an unknown issue" : "",
    event.recovery === null ? "" : `recovery: ${event.recovery}`
  ]
    .filter((flag) => flag !== "")
    .join(", ")

const eventTable = (events: ReadonlyArray<ScoredEvent>) =>
  formatTable(
    [
      { header: "seq", align: "right", value: (e: ScoredEvent) => String(e.seq) },
      { header: "event time (UTC)", value: (e) => minute(e.timeMs) },
      { header: "source", value: (e) => e.source },
      { header: "type", value: (e) => e.type },
      { header: "impression", align: "right", value: (e) => (e.impression === null ? "" : signed(e.impression, 2)) },
      { header: "score", align: "right", value: (e) => `${e.previousScore.toFixed(1)} → ${e.score.toFixed(1)}` },
      { header: "", value: flagsOf }
    ],
    events,
    { indent: "  " }
  )

const termsTable = (explanation: Explanation, gain: number) => {
  const rows = [
    { name: "average impression (A)", term: explanation.terms.average },
    { name: "last impression (End)", term: explanation.terms.end },
    { name: "remembered peaks (Peak)", term: explanation.terms.peak }
  ]
  const table = formatTable(
    [
      { header: "term", value: (r: (typeof rows)[number]) => r.name },
      { header: "value", align: "right", value: (r) => signed(r.term.value) },
      { header: "weight", align: "right", value: (r) => r.term.weight.toFixed(2) },
      { header: "value × weight", align: "right", value: (r) => signed(r.term.value * r.term.weight) }
    ],
    rows,
    { indent: "  " }
  )
  const sum = rows
    .map((r, i) => {
      const part = r.term.value * r.term.weight
      const size = Math.abs(part).toFixed(3)
      return i === 0 ? signed(part).trim() : `${part < 0 ? "−" : "+"} ${size}`
    })
    .join(" ")
  return `${table}\n  index X = ${sum} = ${signed(explanation.index).trim()};  score = 50 + 50·tanh(${gain}·X) = ${explanation.score.toFixed(1)}`
}

const contributorTable = (explanation: Explanation) =>
  formatTable(
    [
      { header: "event time (UTC)", value: (c: Contributor) => minute(c.tMs) },
      { header: "kind", value: (c) => c.kind },
      { header: "event", value: (c) => (c.id === undefined ? "(left the buffer)" : `${c.source} ${c.id}`) },
      { header: "impression", align: "right", value: (c) => signed(c.v, 2) },
      { header: "weight", align: "right", value: (c) => c.weight.toFixed(2) },
      {
        header: "via",
        value: (c) =>
          [c.viaAverage !== 0 ? "average" : "", c.viaEnd !== 0 ? "last" : "", c.viaPeak !== 0 ? "peak" : ""]
            .filter((via) => via !== "")
            .join("+")
      },
      { header: "share of X", align: "right", value: (c) => signed(c.contribution) }
    ],
    explanation.contributors,
    { indent: "  " }
  )

/** `xpscore inspect` for a terminal: events, the score's course, and why it is what it is now. */
export const formatInspection = (
  inspection: CustomerInspection,
  options: { readonly limit: number; readonly gain: number; readonly modelVersion: string }
): string => {
  const { events, explanation } = inspection
  const shown = options.limit > 0 ? events.slice(-options.limit) : events
  const latest = events.at(-1)
  const lines: Array<string> = [
    `${inspection.customerId}: ${plural(events.length, "score record")}, ${plural(inspection.interactions, "interaction")} in ${inspection.database}${
      inspection.current === undefined ? "" : `; score now ${inspection.current.score.toFixed(1)}`
    }`
  ]
  if (events.length > 0) {
    lines.push(
      "",
      shown.length < events.length
        ? `events (the last ${formatCount(shown.length)} of ${formatCount(events.length)}; --limit 0 for all)`
        : "events",
      eventTable(shown),
      "",
      "score over time (after each event, then decayed to now)",
      renderLineChart(
        [
          ...events.map((e) => ({ x: e.tRefMs, y: e.score })),
          ...(inspection.current === undefined ? [] : [{ x: inspection.current.asOfMs, y: inspection.current.score }])
        ],
        { yMin: 0, yMax: 100, yTicks: [0, 50, 100], width: 60, height: 8, xLabel: day }
      )
    )
  }
  if (explanation === undefined) {
    lines.push("", "no state in the changelog yet (not scored yet, or the changelog was reset): nothing to explain")
    return lines.join("\n")
  }
  lines.push(
    "",
    `why ${explanation.score.toFixed(1)} at ${minute(explanation.atMs)} UTC (state from ${inspection.state?.topic} partition ${inspection.state?.partition}, model ${options.modelVersion})`,
    termsTable(explanation, options.gain),
    ...(latest !== undefined && latest.modelVersion !== options.modelVersion
      ? [
          `  note: the records were scored with model ${latest.modelVersion}; this explanation uses ${options.modelVersion} (XPSCORE_MODEL_PARAMS)`
        ]
      : []),
    "",
    "events that weigh most now",
    contributorTable(explanation),
    `  everything else (older events, in the decayed sums only): share of X ${signed(explanation.rest).trim()}`
  )
  return lines.join("\n")
}
