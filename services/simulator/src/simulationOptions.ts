import { earliestEventTimeMs, formatTimestamp, latestEventTimeExclusiveMs } from "@xpscore/events"
import { Result, Schema } from "effect"

export const DAY_MS = 86_400_000
export const HOUR_MS = 3_600_000

/** What to simulate. Every field but `startMs` has a default sized for the demo. */
export interface SimulationOptions {
  /** how many customers (each with a journey of its own) */
  readonly customers: number
  /** how many days of activity, from `startMs` */
  readonly days: number
  /** the seed: the same options give byte-identical output */
  readonly seed: number
  /** the first moment of the simulated window, epoch ms */
  readonly startMs: number
  /** of valid events, the fraction re-sent by their producer (same source, id and bytes) */
  readonly duplicateRate: number
  /** of valid events, the fraction that arrive after a later event of the same customer */
  readonly lateRate: number
  /** of the late events, the fraction late by more than `allowedLatenessMs` (the rest within it) */
  readonly lateBeyondHorizonShare: number
  /** per valid event, the probability of an extra record that is not a valid event */
  readonly invalidRate: number
  /** the scorer's allowed lateness, which the late events are placed around (24 hours) */
  readonly allowedLatenessMs: number
  /** customer ids are this prefix and a five-digit number: `customer-00001` */
  readonly customerIdPrefix: string
}

export const simulationDefaults = {
  customers: 2_000,
  days: 90,
  seed: 1,
  duplicateRate: 0.01,
  lateRate: 0.02,
  lateBeyondHorizonShare: 0.25,
  invalidRate: 0.005,
  allowedLatenessMs: 24 * HOUR_MS,
  customerIdPrefix: "customer-"
} as const

/**
 * The default start: midnight UTC `days` days before `nowMs`, so that the
 * simulated window ends today and "score as of now" is meaningful. The only
 * default that depends on the clock: pass a start for reproducible output.
 */
export const defaultStartMs = (nowMs: number, days: number) => Math.floor(nowMs / DAY_MS) * DAY_MS - days * DAY_MS

/** An option outside its allowed values; `option` is the field of {@link SimulationOptions}. */
export class InvalidSimulationOption extends Schema.TaggedError<InvalidSimulationOption>()("InvalidSimulationOption", {
  option: Schema.String,
  rule: Schema.String,
  value: Schema.String
}) {
  override get message() {
    return `${this.option}: ${this.rule}, got ${this.value}`
  }
}

/** A partial set of options with the defaults filled in; `startMs` defaults to {@link defaultStartMs} of `nowMs`. */
export const withSimulationDefaults = (
  options: Partial<SimulationOptions>,
  nowMs: number = Date.now()
): SimulationOptions => {
  const days = options.days ?? simulationDefaults.days
  return { ...simulationDefaults, startMs: defaultStartMs(nowMs, days), ...options }
}

const fraction = (option: keyof SimulationOptions, value: number) =>
  Number.isFinite(value) && value >= 0 && value <= 1
    ? undefined
    : new InvalidSimulationOption({ option, rule: "expected a fraction from 0 to 1", value: String(value) })

const integer = (option: keyof SimulationOptions, value: number, minimum: number, maximum: number) =>
  Number.isInteger(value) && value >= minimum && value <= maximum
    ? undefined
    : new InvalidSimulationOption({
        option,
        rule: `expected an integer from ${minimum.toLocaleString("en-US")} to ${maximum.toLocaleString("en-US")}`,
        value: String(value)
      })

/** The largest simulation: the merge holds one small generator per customer. */
export const MAX_CUSTOMERS = 10_000_000
export const MAX_DAYS = 3_650

/** Checks every option; the first problem found is the error. */
export const validateSimulationOptions = (
  options: SimulationOptions
): Result.Result<SimulationOptions, InvalidSimulationOption> => {
  const problem =
    integer("customers", options.customers, 1, MAX_CUSTOMERS) ??
    integer("days", options.days, 1, MAX_DAYS) ??
    integer("seed", options.seed, 0, Number.MAX_SAFE_INTEGER) ??
    fraction("duplicateRate", options.duplicateRate) ??
    fraction("lateRate", options.lateRate) ??
    fraction("lateBeyondHorizonShare", options.lateBeyondHorizonShare) ??
    fraction("invalidRate", options.invalidRate) ??
    integer("allowedLatenessMs", options.allowedLatenessMs, 60_000, 30 * DAY_MS) ??
    (Number.isInteger(options.startMs) &&
    options.startMs >= earliestEventTimeMs &&
    options.startMs + options.days * DAY_MS <= latestEventTimeExclusiveMs
      ? undefined
      : new InvalidSimulationOption({
          option: "startMs",
          rule: `expected a start such that the whole window (start + days) lies from 2000-01-01 up to 2100-01-01, the range event times may have`,
          value: Number.isFinite(options.startMs) ? formatTimestamp(options.startMs) : String(options.startMs)
        })) ??
    // biome-ignore lint/suspicious/noControlCharactersInRegex: customer ids must not hold control characters
    (/^[^\u0000-\u001f\u007f-\u009f]{0,200}$/u.test(options.customerIdPrefix)
      ? undefined
      : new InvalidSimulationOption({
          option: "customerIdPrefix",
          rule: "expected up to 200 characters without control characters",
          value: JSON.stringify(options.customerIdPrefix)
        }))
  return problem === undefined ? Result.succeed(options) : Result.fail(problem)
}

/**
 * RFC 3339 as `--start` accepts it: a full date (`2024-01-01`, midnight UTC)
 * or a date-time with `Z` or an offset (`2024-01-01T06:00:00+02:00`).
 */
export const parseStart = (text: string): number | undefined => {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  const dateTime = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(text)
  if (date === null && !dateTime) return undefined
  const ms = Date.parse(date === null ? text.toUpperCase() : `${text}T00:00:00Z`)
  if (!Number.isFinite(ms)) return undefined
  // Date.parse rolls 2024-02-30 over into March: refuse impossible dates instead
  const [year, month, day] = text.slice(0, 10).split("-").map(Number) as [number, number, number]
  const check = new Date(Date.UTC(year, month - 1, day))
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day)
    return undefined
  return ms
}
