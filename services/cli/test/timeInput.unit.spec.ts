import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { parseDuration, parseTime, parseTimeOrAgo } from "../src/timeInput.ts"

describe("times and durations on the command line", () => {
  it("read RFC 3339 times with Z or an offset, and dates as midnight UTC", () => {
    expect(parseTime("2024-05-01T12:00:00Z")).toBe(Date.UTC(2024, 4, 1, 12))
    expect(parseTime("2024-05-01T14:00:00.250+02:00")).toBe(Date.UTC(2024, 4, 1, 12, 0, 0, 250))
    expect(parseTime("2024-05-01")).toBe(Date.UTC(2024, 4, 1))
    expect(parseTime("2024-05-01 12:00")).toBeUndefined()
    expect(parseTime("yesterday")).toBeUndefined()
  })

  it("read ISO 8601 durations as Kafka's reset tool takes them, and short ones", () => {
    expect(parseDuration("PT30M")).toBe(30 * 60_000)
    expect(parseDuration("P1DT2H")).toBe(26 * 3_600_000)
    expect(parseDuration("P1W")).toBe(7 * 86_400_000)
    expect(parseDuration("90s")).toBe(90_000)
    expect(parseDuration("1.5h")).toBe(5_400_000)
    expect(parseDuration("P")).toBeUndefined()
    expect(parseDuration("PT")).toBeUndefined()
    expect(parseDuration("-2h")).toBeUndefined()
    fc.assert(
      fc.property(
        fc.nat(10_000),
        fc.constantFrom(["s", 1_000], ["m", 60_000], ["h", 3_600_000], ["d", 86_400_000]),
        (n, [unit, ms]) => {
          expect(parseDuration(`${n}${unit}`)).toBe(n * ms)
        }
      )
    )
  })

  it("take a duration as that long ago", () => {
    expect(parseTimeOrAgo("2h", 10_000_000)).toBe(10_000_000 - 7_200_000)
    expect(parseTimeOrAgo("2024-05-01", 0)).toBe(Date.UTC(2024, 4, 1))
  })
})
