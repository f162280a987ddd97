import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { InvalidRatioGuard } from "../src/invalidRatioGuard.ts"

/** Feeds batches of records, each invalid with probability `rate`; says whether the guard ever stopped. */
const stops = (guard: InvalidRatioGuard, batches: ReadonlyArray<number>, random: () => number, rate: number) => {
  for (const records of batches) {
    let invalid = 0
    for (let i = 0; i < records; i++) if (random() < rate) invalid++
    if (guard.exceededWith(records, invalid) !== undefined) return true
    guard.record(records, invalid)
  }
  return false
}

const seeded = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

describe("InvalidRatioGuard (defaults: ceiling 0.25 over 1000 records)", () => {
  it("lets a steady 10 % of poison flow, whatever the batch sizes", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 3_000 }), { minLength: 1, maxLength: 200 }),
        fc.integer(),
        (batches, seed) => {
          expect(stops(new InvalidRatioGuard(0.25, 1_000), batches, seeded(seed), 0.1)).toBe(false)
        }
      ),
      { numRuns: 200 }
    )
  })

  it("stops a broken stream within the first window", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 100 }), { minLength: 60, maxLength: 60 }),
        fc.integer(),
        (batches, seed) => {
          const guard = new InvalidRatioGuard(0.25, 1_000)
          const random = seeded(seed)
          let seen = 0
          for (const records of batches) {
            let invalid = 0
            for (let i = 0; i < records; i++) if (random() < 0.6) invalid++
            if (guard.exceededWith(records, invalid) !== undefined) break
            guard.record(records, invalid)
            seen += records
          }
          expect(seen).toBeLessThan(1_000)
        }
      ),
      { numRuns: 200 }
    )
  })

  it("judges nothing on fewer than 200 records, never stops on a clean batch, and forgets batches that left the window", () => {
    const guard = new InvalidRatioGuard(0.25, 1_000)
    expect(guard.exceededWith(150, 150)).toBeUndefined()
    guard.record(1_000, 500)
    expect(guard.exceededWith(10, 0)).toBeUndefined()
    expect(guard.exceededWith(10, 1)).toEqual({ records: 1_010, invalid: 501 })
    for (let i = 0; i < 10; i++) guard.record(100, 0)
    expect(guard.exceededWith(10, 1)).toBeUndefined()
  })
})
