import { describe, expect, it } from "vitest"
import { type FigureRow, formatMarkdown, formatTarget, formatValue, met, verdict } from "../src/benchReport.ts"
import { quantile } from "../src/latencyProbes.ts"

const row = (value: number, target?: FigureRow["target"]): FigureRow => ({
  id: "x",
  label: "x",
  value,
  unit: "events/s",
  ...(target === undefined ? {} : { target })
})

describe("targets", () => {
  it("a figure meets an at-least target at or above it, an at-most target at or below it", () => {
    expect(met(row(30_000, { atLeast: 30_000 }))).toBe(true)
    expect(met(row(29_999, { atLeast: 30_000 }))).toBe(false)
    expect(met(row(2_000, { atMost: 2_000 }))).toBe(true)
    expect(met(row(2_001, { atMost: 2_000 }))).toBe(false)
  })

  it("a figure without a target is neither met nor missed; one that could not be measured misses its target", () => {
    expect(met(row(1))).toBeUndefined()
    expect(verdict(row(1))).toBe("")
    expect(met(row(Number.NaN, { atLeast: 1 }))).toBe(false)
    expect(verdict(row(Number.NaN, { atLeast: 1 }))).toBe("MISSED")
  })

  it("shows values and targets in the figure's unit", () => {
    expect(formatValue(30_000.4, "events/s")).toBe("30,000 events/s")
    expect(formatValue(0.5, "ratio")).toBe("0.50")
    expect(formatValue(33.64, "s")).toBe("33.6 s")
    expect(formatTarget({ ...row(0), unit: "B", target: { atMost: 1_024 } })).toBe("≤ 1,024 B")
    expect(formatMarkdown([row(1, { atLeast: 2 })]).split("\n")[2]).toBe(
      "| x | 1 events/s | ≥ 2 events/s | MISSED |  |"
    )
  })
})

describe("latency quantiles", () => {
  it("are nearest-rank: p50 and p99 of 1..100 are 50 and 99, the maximum is the largest", () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect(quantile(values, 0.5)).toBe(50)
    expect(quantile(values, 0.99)).toBe(99)
    expect(quantile(values, 1)).toBe(100)
    expect(quantile([], 0.5)).toBeNaN()
  })
})
