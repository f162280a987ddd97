import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  DAY_MS,
  defaultStartMs,
  parseStart,
  seededRandom,
  TokenBucket,
  validateSimulationOptions,
  withSimulationDefaults
} from "../src/index.ts"

describe("simulation options", () => {
  const valid = withSimulationDefaults({ startMs: Date.UTC(2024, 0, 1) })

  it("default to about 2,000 customers over 90 days ending today, with a few defects", () => {
    const now = Date.UTC(2025, 5, 15, 13, 45)
    const options = withSimulationDefaults({}, now)
    expect(options).toMatchObject({
      customers: 2_000,
      days: 90,
      duplicateRate: 0.01,
      lateRate: 0.02,
      invalidRate: 0.005
    })
    expect(options.startMs).toBe(Date.UTC(2025, 5, 15) - 90 * DAY_MS)
    expect(defaultStartMs(now, 10)).toBe(Date.UTC(2025, 5, 5))
    expect(Result.isSuccess(validateSimulationOptions(options))).toBe(true)
  })

  it("are refused with the option, the rule and the value", () => {
    const problem = (overrides: object) => {
      const result = validateSimulationOptions({ ...valid, ...overrides })
      return Result.isFailure(result) ? result.failure.message : "accepted"
    }
    expect(problem({ customers: 0 })).toBe("customers: expected an integer from 1 to 10,000,000, got 0")
    expect(problem({ days: 2.5 })).toBe("days: expected an integer from 1 to 3,650, got 2.5")
    expect(problem({ duplicateRate: 1.5 })).toBe("duplicateRate: expected a fraction from 0 to 1, got 1.5")
    expect(problem({ lateRate: -0.1 })).toBe("lateRate: expected a fraction from 0 to 1, got -0.1")
    expect(problem({ invalidRate: Number.NaN })).toBe("invalidRate: expected a fraction from 0 to 1, got NaN")
    expect(problem({ startMs: Date.UTC(2099, 11, 1) })).toMatch(
      /^startMs: expected a start such that the whole window .* got 2099-12-01T00:00:00.000Z$/
    )
    expect(problem({ customerIdPrefix: "a\nb" })).toBe(
      'customerIdPrefix: expected up to 200 characters without control characters, got "a\\nb"'
    )
    expect(problem({})).toBe("accepted")
  })
})

describe("--start", () => {
  it("reads RFC 3339 dates and date-times", () => {
    expect(parseStart("2024-03-01")).toBe(Date.UTC(2024, 2, 1))
    expect(parseStart("2024-03-01T06:30:00Z")).toBe(Date.UTC(2024, 2, 1, 6, 30))
    expect(parseStart("2024-03-01t06:30:00.250z")).toBe(Date.UTC(2024, 2, 1, 6, 30, 0, 250))
    expect(parseStart("2024-03-01T06:30:00+02:00")).toBe(Date.UTC(2024, 2, 1, 4, 30))
  })

  it("refuses what is not RFC 3339 or not a real date", () => {
    for (const text of [
      "2024-02-30",
      "2024-13-01",
      "01/03/2024",
      "2024-03-01 06:30:00",
      "2024-03-01T06:30",
      "yesterday",
      ""
    ]) {
      expect(parseStart(text), text).toBeUndefined()
    }
  })
})

describe("the seeded generator", () => {
  it("repeats for the same seed and stream, and differs across seeds and streams", () => {
    const draw = (seed: number, ...stream: Array<number>) => {
      const random = seededRandom(seed, ...stream)
      return Array.from({ length: 8 }, () => random.next())
    }
    expect(draw(42, 1, 7)).toEqual(draw(42, 1, 7))
    expect(draw(42, 1, 7)).not.toEqual(draw(43, 1, 7))
    expect(draw(42, 1, 7)).not.toEqual(draw(42, 1, 8))
    expect(draw(2 ** 40, 1)).not.toEqual(draw(0, 1))
  })

  it("draws uniformly in [0, 1)", () => {
    const random = seededRandom(7)
    const buckets = new Array<number>(10).fill(0)
    for (let i = 0; i < 100_000; i++) {
      const x = random.next()
      expect(x >= 0 && x < 1).toBe(true)
      buckets[Math.floor(x * 10)]!++
    }
    for (const count of buckets) expect(Math.abs(count - 10_000)).toBeLessThan(500)
  })
})

describe("the token bucket", () => {
  it("never grants more than the burst plus the rate times the elapsed time, and keeps up with the rate", () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 100_000, noNaN: true }),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 10_000 })), {
          minLength: 1,
          maxLength: 300
        }),
        (rate, steps) => {
          const bucket = TokenBucket.forRate(rate, 0)
          let now = 0
          let granted = 0
          for (const [advance, wanted] of steps) {
            now += advance
            const taken = bucket.take(wanted, now)
            expect(taken).toBeGreaterThanOrEqual(0)
            expect(taken).toBeLessThanOrEqual(wanted)
            granted += taken
            expect(granted).toBeLessThanOrEqual(bucket.capacity + (rate * now) / 1000 + 1e-6)
          }
        }
      )
    )
  })

  it("paces a greedy sender to the rate: waiting as told, it sends rate × time", () => {
    for (const rate of [3, 250, 20_000]) {
      const bucket = TokenBucket.forRate(rate, 0)
      let now = 0
      let sent = 0
      while (now < 10_000) {
        const taken = bucket.take(5_000, now)
        sent += taken
        now += taken > 0 ? 1 : Math.max(1, bucket.waitMs(now))
      }
      expect(sent / 10).toBeGreaterThan(rate * 0.98)
      expect(sent / 10).toBeLessThanOrEqual(rate * 1.02 + bucket.capacity / 10)
    }
  })
})
