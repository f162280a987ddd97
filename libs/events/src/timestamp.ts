import { Schema } from "effect"
import { ruleOf } from "./rules.ts"

/**
 * Event times are RFC 3339 timestamps in UTC with exactly three fractional
 * digits, `2024-05-01T12:00:00.000Z`: the one spelling that every producer
 * language can emit, that sorts as text, and that maps 1:1 to epoch
 * milliseconds (so encode ∘ decode is the identity).
 */
export const TIMESTAMP_PATTERN = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/

/**
 * Accepted event times: [2000-01-01T00:00:00.000Z, 2100-01-01T00:00:00.000Z).
 *
 * Decoding is a pure function of the record's bytes (dead letters are
 * re-driven and streams replayed long after they were written), so the bound
 * is static. It catches the classic unit mistakes (epoch seconds read as
 * milliseconds land in 1970; microseconds, in the far future) and sentinel
 * dates like 9999-12-31 that would otherwise move a customer's reference
 * time decades ahead. How far an event may lie ahead of the wall clock or of
 * the record's broker timestamp is a policy of the scorer, not of the contract.
 */
export const EARLIEST_EVENT_TIME = "2000-01-01T00:00:00.000Z"
export const LATEST_EVENT_TIME_EXCLUSIVE = "2100-01-01T00:00:00.000Z"
export const earliestEventTimeMs = Date.UTC(2000, 0, 1)
export const latestEventTimeExclusiveMs = Date.UTC(2100, 0, 1)

const isLeapYear = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
const daysInMonth = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

/** The shape of a timestamp: `d` is any digit, every other character stands for itself. */
const SHAPE = "dddd-dd-ddTdd:dd:dd.dddZ"

const digits = (s: string, from: number, to: number) => {
  let n = 0
  for (let i = from; i < to; i++) n = n * 10 + (s.charCodeAt(i) - 48)
  return n
}

const parse = (s: string): number | undefined => {
  if (s.length !== SHAPE.length) return undefined
  for (let i = 0; i < SHAPE.length; i++) {
    const c = s.charCodeAt(i)
    const expected = SHAPE.charCodeAt(i)
    if (expected === 100 /* d */ ? c < 48 || c > 57 : c !== expected) return undefined
  }
  const year = digits(s, 0, 4)
  const month = digits(s, 5, 7)
  const day = digits(s, 8, 10)
  const hour = digits(s, 11, 13)
  const minute = digits(s, 14, 16)
  const second = digits(s, 17, 19)
  if (month < 1 || month > 12 || day < 1) return undefined
  const monthDays = month === 2 && isLeapYear(year) ? 29 : daysInMonth[month - 1]!
  if (day > monthDays || hour > 23 || minute > 59 || second > 59) return undefined
  return Date.UTC(year, month - 1, day, hour, minute, second, digits(s, 20, 23))
}

// The decoder asks three times about the same string (shape, range, timeMs):
// remembering the last answer saves two parses per event on the hot path.
let lastText: string | undefined
let lastMs: number | undefined

/**
 * Epoch milliseconds of an RFC 3339 millisecond UTC timestamp, or `undefined`
 * when the text is not one (wrong shape, month 13, February 30, hour 24,
 * leap second 60: epoch milliseconds cannot represent it).
 */
export const parseTimestamp = (s: string): number | undefined => {
  if (s !== lastText) {
    lastMs = parse(s)
    lastText = s
  }
  return lastMs
}

/** The inverse of {@link parseTimestamp} for times in the accepted range. */
export const formatTimestamp = (epochMs: number): string => new Date(epochMs).toISOString()

/**
 * The JSON Schema form says the same for other languages: `format:
 * date-time` rejects impossible dates, the pattern fixes the spelling and,
 * with its `20` prefix, the range.
 */
const JSON_SCHEMA_TIMESTAMP_PATTERN =
  "^20\\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])T([01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d\\.\\d{3}Z$"

const isTimestamp = Schema.makeFilter((s: string) => parseTimestamp(s) !== undefined, {
  ...ruleOf("timestamp", "an RFC 3339 UTC time with milliseconds, like 2024-05-01T12:00:00.000Z"),
  toJsonSchema: () => ({ format: "date-time" })
})

const isInEventTimeRange = Schema.makeFilter(
  (s: string) => {
    const ms = parseTimestamp(s)
    return ms !== undefined && ms >= earliestEventTimeMs && ms < latestEventTimeExclusiveMs
  },
  {
    ...ruleOf("range", `a time from ${EARLIEST_EVENT_TIME} up to (excluding) ${LATEST_EVENT_TIME_EXCLUSIVE}`),
    toJsonSchema: () => ({ pattern: JSON_SCHEMA_TIMESTAMP_PATTERN })
  }
)

/** CloudEvents `time` as xpscore requires it (see {@link TIMESTAMP_PATTERN} and {@link EARLIEST_EVENT_TIME}). */
export const Timestamp = Schema.String.check(isTimestamp, isInEventTimeRange)
