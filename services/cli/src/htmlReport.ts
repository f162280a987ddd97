import type { DemoReport, Mover } from "./demoReport.ts"
import { formatCount, formatDuration, formatPercent } from "./quantityFormat.ts"
import { escapeXml, histogramSvg, lineChartSvg } from "./svgChart.ts"

const day = (ms: number) => new Date(ms).toISOString().slice(0, 10)

const STYLE = `
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d2330; margin: 0; background: #f6f7f9; }
main { max-width: 760px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px; }
.lead { color: #566; margin: 0 0 16px; }
section { background: #fff; border: 1px solid #e2e5ea; border-radius: 8px; padding: 12px 16px 16px; margin: 14px 0; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { text-align: left; padding: 3px 8px 3px 0; border-bottom: 1px solid #eef0f3; }
td.n, th.n { text-align: right; }
pre { background: #101622; color: #e8edf5; padding: 10px 12px; border-radius: 6px; overflow-x: auto; font-size: 13px; }
.chart { display: block; max-width: 100%; height: auto; }
.chart .axis { stroke: #8a93a3; stroke-width: 1; }
.chart .grid { stroke: #e4e7ec; stroke-width: 1; stroke-dasharray: 3 3; }
.chart .tick, .chart .count { font-size: 11px; fill: #566; }
.chart .bar { fill: #3f7fd6; }
.chart .line { fill: none; stroke: #d6573f; stroke-width: 2; stroke-linejoin: round; }
.chart .point { fill: #d6573f; }
.down { color: #b5371f; } .up { color: #1f7a3a; }
`

const moverRows = (movers: ReadonlyArray<Mover>) =>
  movers
    .map(
      (m) =>
        `<tr><td>${escapeXml(m.customerId)}</td><td>${escapeXml(m.segment ?? "")}</td><td class="n">${m.before.toFixed(1)}</td><td class="n">${m.latest.toFixed(1)}</td><td class="n ${m.change < 0 ? "down" : "up"}">${m.change >= 0 ? "+" : "−"}${Math.abs(m.change).toFixed(1)}</td></tr>`
    )
    .join("")

const moverTable = (title: string, movers: ReadonlyArray<Mover>) =>
  movers.length === 0
    ? ""
    : `<h3>${escapeXml(title)}</h3><table class="movers"><tr><th>customer</th><th>segment</th><th class="n">before</th><th class="n">now</th><th class="n">change</th></tr>${moverRows(movers)}</table>`

/** The demo's report as one self-contained HTML page: inline CSS, charts as inline SVG, no scripts. */
export const renderHtmlReport = (report: DemoReport): string => {
  const { produced, scored, deadLetters } = report
  const reasons = deadLetters.reasons
    .slice(0, 8)
    .map(
      (r) =>
        `<tr><td class="n">${formatCount(r.count)}</td><td>${escapeXml(r.reason)}</td><td>${escapeXml(r.example)}</td></tr>`
    )
    .join("")
  const trajectories = report.trajectories
    .map(
      (t) =>
        `<section class="trajectory"><h2>${escapeXml(t.customerId)}</h2><p class="lead">${escapeXml(t.why)}; now ${t.now.score.toFixed(1)}</p>${lineChartSvg(
          [...t.points.map((p) => ({ x: p.tMs, y: p.score })), { x: t.now.tMs, y: t.now.score }],
          { yMin: 0, yMax: 100, yTicks: [0, 30, 50, 70, 100], xLabel: day, title: `score of ${t.customerId} over time` }
        )}</section>`
    )
    .join("")
  const queries = report.biQueries
    .map((q) => `<h3>${escapeXml(q.title)}</h3><pre><code>${escapeXml(q.sql)};</code></pre>`)
    .join("")
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>xpscore demo report</title><style>${STYLE}</style></head>
<body><main>
<h1>xpscore demo</h1>
<p class="lead">${formatCount(produced.customers)} simulated customers over ${produced.days} days (${escapeXml(produced.start.slice(0, 10))} to ${escapeXml(produced.end.slice(0, 10))}), produced, scored and projected in ${escapeXml(formatDuration(report.elapsedMs))}. Generated ${escapeXml(report.generatedAt)}.</p>
<section class="counts"><h2>Events</h2><table>
<tr><th>produced</th><td class="n">${formatCount(produced.records)}</td><td>${formatCount(produced.events)} events, ${formatCount(produced.duplicates)} re-sent duplicates, ${formatCount(produced.invalid)} invalid records (${escapeXml(report.topics.interactions)})</td></tr>
<tr><th>scored</th><td class="n">${formatCount(scored.scoreRecords)}</td><td>score records for ${formatCount(scored.customers)} customers; ${formatCount(scored.duplicates)} duplicates recognized, ${formatCount(scored.late)} beyond the allowed lateness; model ${escapeXml(scored.modelVersion)}</td></tr>
<tr><th>projected</th><td class="n">${formatCount(scored.interactions)}</td><td>interactions in ClickHouse (${escapeXml(report.clickhouse.mode)}, database ${escapeXml(report.clickhouse.database)})</td></tr>
<tr><th>dead-lettered</th><td class="n">${formatCount(deadLetters.total)}</td><td>${escapeXml(formatPercent(deadLetters.total, produced.records))} of what was produced (${escapeXml(report.topics.deadLetters)})</td></tr>
</table>${reasons === "" ? "" : `<h3>Top dead-letter reasons</h3><table class="reasons">${reasons}</table>`}</section>
<section class="distribution"><h2>Score distribution now</h2><p class="lead">${formatCount(scored.customers)} customers, average ${report.averageScore.toFixed(1)}; 50 is neutral.</p>
${histogramSvg(report.distribution, { title: "customers by current score" })}</section>
<section class="movers"><h2>Biggest movers over the last ${report.movers.windowDays} days of data</h2>${moverTable("falling", report.movers.falling)}${moverTable("rising", report.movers.rising)}</section>
${trajectories}
<section class="sql"><h2>Next: SQL for BI tools</h2>${queries}<pre>${escapeXml(report.connect.join("\n"))}</pre></section>
</main></body></html>
`
}
