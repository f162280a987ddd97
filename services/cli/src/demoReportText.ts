import type { DemoReport, Mover } from "./demoReport.ts"
import { renderHistogram } from "./histogram.ts"
import { formatCount, formatDuration, formatPercent, plural } from "./quantityFormat.ts"
import { renderLineChart } from "./terminalChart.ts"
import { formatTable } from "./terminalTable.ts"

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)
const score = (value: number) => value.toFixed(1)
const signed = (value: number) => `${value >= 0 ? "+" : "−"}${Math.abs(value).toFixed(1)}`

const moverTable = (movers: ReadonlyArray<Mover>) =>
  formatTable(
    [
      { header: "customer", value: (m: Mover) => m.customerId },
      { header: "segment", value: (m) => m.segment ?? "" },
      { header: "before", align: "right", value: (m) => score(m.before) },
      { header: "now", align: "right", value: (m) => score(m.latest) },
      { header: "change", align: "right", value: (m) => signed(m.change) }
    ],
    movers,
    { indent: "  " }
  )

/** The demo's report for a terminal: counts, a histogram, movers, three charts, and the SQL to run next. */
export const formatDemoReport = (report: DemoReport): string => {
  const { produced, scored, deadLetters } = report
  const reasons = formatTable(
    [
      { header: "", align: "right", value: (r: (typeof deadLetters.reasons)[number]) => formatCount(r.count) },
      { header: "", value: (r) => r.reason },
      { header: "", value: (r) => (r.example.length > 70 ? `${r.example.slice(0, 69)}…` : r.example) }
    ],
    deadLetters.reasons.slice(0, 6),
    { indent: "    ", header: false }
  )
  const counts = [
    `  produced       ${plural(produced.records, "record")}: ${formatCount(produced.events)} events, ${formatCount(produced.duplicates)} re-sent duplicates, ${formatCount(produced.invalid)} invalid  (${report.topics.interactions})`,
    `  scored         ${plural(scored.scoreRecords, "score record")} for ${plural(scored.customers, "customer")}: ${formatCount(scored.duplicates)} duplicates recognized, ${formatCount(scored.late)} beyond the allowed lateness; model ${scored.modelVersion}`,
    `  projected      ${plural(scored.interactions, "interaction")} and ${plural(scored.scoreRecords, "score record")} in ClickHouse (${report.clickhouse.mode}, database ${report.clickhouse.database})`,
    `  dead-lettered  ${plural(deadLetters.total, "record")} (${formatPercent(deadLetters.total, produced.records)} of what was produced) in ${report.topics.deadLetters}${deadLetters.reasons.length > 0 ? "; top reasons:" : ""}`,
    ...(deadLetters.reasons.length > 0 ? [reasons] : [])
  ]
  const trajectories = report.trajectories.flatMap((t) => [
    "",
    `${t.customerId}: ${t.why} (now ${score(t.now.score)})`,
    renderLineChart([...t.points.map((p) => ({ x: p.tMs, y: p.score })), { x: t.now.tMs, y: t.now.score }], {
      yMin: 0,
      yMax: 100,
      yTicks: [0, 50, 100],
      width: 60,
      height: 8,
      xLabel: day
    })
  ])
  const sql = report.biQueries.flatMap((q) => ["", `-- ${q.title}`, `${q.sql};`])
  return [
    `xpscore demo: ${plural(produced.customers, "customer")} over ${plural(produced.days, "day")} (${produced.start.slice(0, 10)} to ${produced.end.slice(0, 10)}), produced, scored and projected in ${formatDuration(report.elapsedMs)}`,
    "",
    "events",
    ...counts,
    "",
    `score distribution now (${plural(scored.customers, "customer")}, average ${score(report.averageScore)}; 50 is neutral)`,
    renderHistogram(report.distribution, { width: 40 })
      .split("\n")
      .map((line) => `  ${line}`)
      .join("\n"),
    "",
    `biggest movers over the last ${report.movers.windowDays} days of data`,
    "  falling",
    moverTable(report.movers.falling),
    ...(report.movers.rising.length > 0 ? ["  rising", moverTable(report.movers.rising)] : []),
    ...trajectories,
    "",
    "next: SQL a BI user can run (the v_* views are documented in docs/clickhouse.md)",
    ...sql.map((line) => (line === "" ? line : `  ${line.replaceAll("\n", "\n  ")}`)),
    "",
    ...report.connect
  ].join("\n")
}
