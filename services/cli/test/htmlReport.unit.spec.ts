import fc from "fast-check"
import { describe, expect, it } from "vitest"
import type { DemoReport } from "../src/demoReport.ts"
import { biQueries } from "../src/demoReport.ts"
import { renderHtmlReport } from "../src/htmlReport.ts"
import { escapeXml, histogramSvg, lineChartSvg } from "../src/svgChart.ts"

const report = (customerId: string): DemoReport => ({
  generatedAt: "2025-01-01T00:00:00.000Z",
  topics: { interactions: "xp.demo.interactions", scores: "xp.demo.scores", deadLetters: "xp.demo.dead-letters" },
  clickhouse: { mode: "embedded", where: "/tmp/chdb", database: "xpscore_demo" },
  produced: {
    records: 10,
    events: 8,
    duplicates: 1,
    invalid: 1,
    customers: 2,
    days: 3,
    start: "2025-01-01",
    end: "2025-01-04"
  },
  scored: { scoreRecords: 9, customers: 2, duplicates: 1, late: 0, interactions: 8, modelVersion: "m1-0" },
  deadLetters: { total: 1, reasons: [{ reason: "$: json", count: 1, example: "<not JSON>" }] },
  distribution: [
    { from: 0, to: 50, count: 1 },
    { from: 50, to: 100, count: 1 }
  ],
  averageScore: 50,
  movers: { windowDays: 1, rising: [], falling: [{ customerId, segment: null, before: 60, latest: 40, change: -20 }] },
  trajectories: [
    {
      customerId,
      why: "the biggest fall",
      points: [
        { tMs: 0, score: 60 },
        { tMs: 1_000, score: 40 }
      ],
      now: { tMs: 2_000, score: 42 }
    }
  ],
  biQueries: biQueries("xpscore_demo", customerId),
  connect: ["connect as bi"],
  elapsedMs: 1_000
})

describe("the HTML report", () => {
  it("holds a histogram bar per bucket and a line per trajectory, as inline SVG, without scripts", () => {
    const html = renderHtmlReport(report("customer-1"))
    expect(html.match(/<rect class="bar"/g)).toHaveLength(2)
    expect(html.match(/<path class="line"/g)).toHaveLength(1)
    expect(html).not.toMatch(/<script|src=|href=/)
  })

  it("escapes whatever a customer id holds, in text and in the SQL it shows", () => {
    fc.assert(
      fc.property(fc.string(), (id) => {
        const html = renderHtmlReport(report(id))
        expect(html).toContain(escapeXml(id))
        expect(html.split("<script").length).toBe(1)
      })
    )
    expect(biQueries("db", "o'brien").at(-1)!.sql).toContain("customer_id = 'o\\'brien'")
  })

  it("scales SVG charts into their box", () => {
    const svg = lineChartSvg(
      [
        { x: 5, y: 0 },
        { x: 10, y: 100 }
      ],
      { yMin: 0, yMax: 100, title: "t", width: 100, height: 50 }
    )
    expect(svg).toContain('d="M36,26 L88,10"')
    expect(histogramSvg([{ from: 0, to: 1, count: 0 }], { title: "h" })).toContain('height="0"')
  })
})
