import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { bucketize, horizontalBar, renderHistogram } from "../src/histogram.ts"
import { renderLineChart } from "../src/terminalChart.ts"

const BRAILLE = /[\u2801-\u28ff]/u

describe("renderLineChart", () => {
  it("draws a rising line from the bottom-left to the top-right, with the y ticks labelled and x ends under the axis", () => {
    const chart = renderLineChart(
      [
        { x: 0, y: 0 },
        { x: 10, y: 100 }
      ],
      { yMin: 0, yMax: 100, width: 10, height: 4, yTicks: [0, 100], xLabel: (x) => `t${x}` }
    ).split("\n")
    expect(chart).toHaveLength(6)
    expect(chart[0]).toMatch(/^100 ┤/)
    expect(chart[3]).toMatch(/^ {2}0 ┤/)
    // the top row is drawn at its right end, the bottom row at its left
    expect(chart[0]!.trimEnd().at(-1)).toMatch(BRAILLE)
    expect(chart[3]!.slice(5, 6)).toMatch(BRAILLE)
    expect(chart[4]).toBe(`    └${"─".repeat(10)}`)
    expect(chart[5]).toBe(`     t0${" ".repeat(5)}t10`)
  })

  it("puts every point inside the plot, whatever the values (clamped to the y range), and never throws", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ x: fc.double({ noNaN: true, min: -1e6, max: 1e6 }), y: fc.double({ noNaN: true }) }), {
          maxLength: 40
        }),
        (points) => {
          const lines = renderLineChart(points, { yMin: 0, yMax: 100, width: 20, height: 5 }).split("\n")
          expect(lines).toHaveLength(6)
          for (const line of lines.slice(0, 5)) expect([...line.slice(5)].length).toBeLessThanOrEqual(20)
          const dots =
            lines
              .slice(0, 5)
              .join("")
              .match(/[\u2801-\u28ff]/gu)?.length ?? 0
          expect(dots > 0).toBe(points.some((p) => Number.isFinite(p.x) && Number.isFinite(p.y)))
        }
      )
    )
  })
})

describe("histograms", () => {
  it("count every value once, values outside the range in the end buckets, NaN nowhere", () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -50, max: 150 })), (values) => {
        const buckets = bucketize(values, { min: 0, max: 100, buckets: 10 })
        expect(buckets).toHaveLength(10)
        expect(buckets.reduce((sum, b) => sum + b.count, 0)).toBe(values.filter((v) => !Number.isNaN(v)).length)
      })
    )
    expect(
      bucketize([0, 9.99, 10, 100, -1, 250, Number.NaN], { min: 0, max: 100, buckets: 10 }).map((b) => b.count)
    ).toEqual([3, 1, 0, 0, 0, 0, 0, 0, 0, 2])
  })

  it("draw bars in eighths of a cell, the largest bucket full width, counts aligned", () => {
    expect(horizontalBar(1, 4)).toBe("████")
    expect(horizontalBar(0.5, 3)).toBe("█▌")
    expect(horizontalBar(0, 4)).toBe("")
    const text = renderHistogram(
      [
        { from: 0, to: 50, count: 5 },
        { from: 50, to: 100, count: 1_250 }
      ],
      { width: 8 }
    )
    expect(text.split("\n")).toEqual(["  0–50                5", "50–100  ████████  1,250"])
  })
})
