/**
 * Times and durations as operators type them on the command line: an RFC
 * 3339 date-time (`2024-05-01T12:00:00Z`, an offset instead of Z) or a date
 * (`2024-05-01`, midnight UTC); a duration in ISO 8601 (`PT30M`, `P1DT2H`,
 * as Kafka's reset tool takes it) or short (`90s`, `15m`, `2h`, `3d`, `1w`).
 */

const RFC_3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i
const DATE = /^\d{4}-\d{2}-\d{2}$/

/** Epoch milliseconds of an RFC 3339 date-time or a date (midnight UTC), or undefined. */
export const parseTime = (text: string): number | undefined => {
  const trimmed = text.trim()
  if (!RFC_3339.test(trimmed) && !DATE.test(trimmed)) return undefined
  const ms = Date.parse(DATE.test(trimmed) ? `${trimmed}T00:00:00Z` : trimmed)
  return Number.isFinite(ms) ? ms : undefined
}

const ISO_DURATION =
  /^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i
const SHORT_DURATION = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d|w)$/i

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000
}

/** Milliseconds of an ISO 8601 or short duration, or undefined (also for a zero-length ISO duration). */
export const parseDuration = (text: string): number | undefined => {
  const trimmed = text.trim()
  const short = SHORT_DURATION.exec(trimmed)
  if (short !== null) return Number(short[1]) * UNIT_MS[short[2]!.toLowerCase()]!
  const iso = ISO_DURATION.exec(trimmed)
  if (iso === null || trimmed.toUpperCase() === "P" || trimmed.toUpperCase().endsWith("T")) return undefined
  const [, weeks, days, hours, minutes, seconds] = iso
  const part = (value: string | undefined, unit: number) => (value === undefined ? 0 : Number(value) * unit)
  return (
    part(weeks, UNIT_MS.w!) +
    part(days, UNIT_MS.d!) +
    part(hours, UNIT_MS.h!) +
    part(minutes, UNIT_MS.m!) +
    part(seconds, UNIT_MS.s!)
  )
}

/** A moment given as a time, or as a duration meaning that long before `nowMs`. */
export const parseTimeOrAgo = (text: string, nowMs: number): number | undefined => {
  const time = parseTime(text)
  if (time !== undefined) return time
  const duration = parseDuration(text)
  return duration === undefined ? undefined : nowMs - duration
}

export const TIME_HELP = "an RFC 3339 time (2024-05-01T12:00:00Z) or date (2024-05-01, midnight UTC)"
export const DURATION_HELP = "a duration: 15m, 2h, 3d, 1w, or ISO 8601 (PT30M, P1DT2H)"
