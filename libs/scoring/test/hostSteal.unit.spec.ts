import * as fs from "node:fs"
import { describe, expect, it } from "vitest"
import { cpuTicks, formatSteal, stealShare } from "../bench/hostSteal.ts"

describe("host steal (the noise figure beside the benchmarks)", () => {
  it("is the stolen ticks' share of all ticks between two readings", () => {
    expect(stealShare({ steal: 100, total: 10_000 }, { steal: 130, total: 10_600 })).toBeCloseTo(0.05, 12)
    expect(formatSteal(0.05)).toBe("5.0% of CPU time stolen by the host")
  })

  it("is unknown rather than made up when a reading is missing or no time passed", () => {
    expect(stealShare(undefined, { steal: 1, total: 2 })).toBeUndefined()
    expect(stealShare({ steal: 1, total: 2 }, { steal: 1, total: 2 })).toBeUndefined()
    expect(formatSteal(undefined)).toBe("")
  })

  it.runIf(fs.existsSync("/proc/stat"))("reads this machine's ticks, which only grow", () => {
    const before = cpuTicks()
    let spin = 0
    for (let i = 0; i < 20_000_000; i++) spin += i & 1
    const after = cpuTicks()
    expect(spin).toBe(10_000_000)
    expect(before).toBeDefined()
    expect(after!.total).toBeGreaterThanOrEqual(before!.total)
    expect(after!.steal).toBeGreaterThanOrEqual(before!.steal)
    expect(before!.steal).toBeLessThanOrEqual(before!.total)
  })
})
