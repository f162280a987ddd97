/**
 * The parameters of the experience model (scoring-model.md, "Parameters").
 * Field names follow the spec's symbols so the two can be read side by side;
 * durations are in the spec's units (days, hours) and converted to
 * milliseconds where they are used. A parameter set is one value: its version
 * id is derived from the values, so a changed set is a new model version.
 */
export interface Params {
  /** λ: a loss weighs λ times a gain of the same size. */
  readonly lambda: number
  /** a: diminishing sensitivity, φ(d) = d^a. */
  readonly a: number
  /** c_meet: the impression of an expectation met exactly. */
  readonly cMeet: number
  /** κ: paradox bonus per unit of severity. */
  readonly kappa: number
  /** ρ_max: the share of a failure a perfect (non-paradox) recovery takes back. */
  readonly rhoMax: number
  /** dd: how much worse a failed recovery is than the failure (double deviation). */
  readonly dd: number
  /** h⁺: half-life of positive impressions, days. */
  readonly hPosDays: number
  /** h⁻: half-life of negative impressions and of all weights, days. */
  readonly hNegDays: number
  /** h_end⁺: half-life of a positive last impression, days. */
  readonly hEndPosDays: number
  /** h_fail: half-life of the failure count that gates the recovery paradox, days. */
  readonly hFailDays: number
  /** W0: neutral weight in the denominator of the average (pulls thin histories toward 0). */
  readonly w0: number
  /** E0: expectation baseline of a dimension never seen. */
  readonly e0: number
  /** η_up: adaptation rate of E_dim when performance is above it. */
  readonly etaUp: number
  /** η_down: adaptation rate of E_dim otherwise. */
  readonly etaDown: number
  /** δ: upward drift of expectations, per (Julian) year. */
  readonly deltaPerYear: number
  /** The calibration date of the drift, epoch milliseconds. */
  readonly calibrationMs: number
  /** ω_avg, ω_end, ω_peak: weights of the three terms of X. */
  readonly omegaAvg: number
  readonly omegaEnd: number
  readonly omegaPeak: number
  /** g: gain of the final tanh. */
  readonly g: number
  /** Event weights (the "weight" column of the events table). */
  readonly weightTouchpoint: number
  readonly weightExpectation: number
  readonly weightIssue: number
  readonly weightSurvey: number
  /** Allowed lateness: events this close to the latest event time are re-folded in canonical order. */
  readonly allowedLatenessHours: number
  /** Buffer cap: at most this many events per customer are kept for re-folding. */
  readonly bufferCap: number
  /** Dedup horizon: ids of events this close to the latest event time are remembered (beyond the buffer). */
  readonly dedupHorizonHours: number
  /** Dedup cap: at most this many ids beyond the buffer are remembered per customer. */
  readonly dedupCap: number
}

/** Model version 1, exactly the table of scoring-model.md (plus the dedup memory, which the spec leaves open). */
export const defaultParams: Params = Object.freeze({
  lambda: 2.0,
  a: 0.88,
  cMeet: 0.25,
  kappa: 0.25,
  rhoMax: 0.8,
  dd: 0.5,
  hPosDays: 30,
  hNegDays: 60,
  hEndPosDays: 14,
  hFailDays: 180,
  w0: 1,
  e0: 0.5,
  etaUp: 0.2,
  etaDown: 0.05,
  deltaPerYear: 0.02,
  calibrationMs: 1_700_000_000_000,
  omegaAvg: 0.5,
  omegaEnd: 0.3,
  omegaPeak: 0.2,
  g: 1.2,
  weightTouchpoint: 0.5,
  weightExpectation: 1,
  weightIssue: 1,
  weightSurvey: 3,
  allowedLatenessHours: 24,
  bufferCap: 512,
  dedupHorizonHours: 7 * 24,
  dedupCap: 64
})

export const DAY_MS = 86_400_000
export const HOUR_MS = 3_600_000
/** A Julian year: the unit of the expectation drift. */
export const YEAR_MS = 365.25 * DAY_MS

type ParamName = keyof Params

interface Rule {
  readonly min: number
  readonly max: number
  /** Whether `min` itself is allowed. */
  readonly minInclusive: boolean
  readonly integer?: boolean
  readonly why: string
}

const positive = (why: string): Rule => ({ min: 0, max: Number.MAX_VALUE, minInclusive: false, why })
const nonNegative = (why: string): Rule => ({ min: 0, max: Number.MAX_VALUE, minInclusive: true, why })
const unit = (why: string): Rule => ({ min: 0, max: 1, minInclusive: true, why })

/**
 * Ranges in which the model stays well defined (finite, scores strictly
 * inside (0, 100) for bounded X). They do not promise that every invariant of
 * the spec holds for every combination: the invariants are proven for the
 * defaults, and a new parameter set is checked by replaying it.
 */
const rules: Record<ParamName, Rule> = {
  lambda: positive("a loss weight"),
  a: { min: 0, max: 1, minInclusive: false, why: "an exponent in (0, 1]" },
  cMeet: unit("an impression in [0, 1]"),
  kappa: nonNegative("a bonus"),
  rhoMax: unit("a share"),
  dd: nonNegative("an aggravation"),
  hPosDays: positive("a half-life"),
  hNegDays: positive("a half-life"),
  hEndPosDays: positive("a half-life"),
  hFailDays: positive("a half-life"),
  w0: positive("a weight (keeps the average defined with no events)"),
  e0: unit("an expectation in [0, 1]"),
  etaUp: unit("a rate in [0, 1]"),
  etaDown: unit("a rate in [0, 1]"),
  deltaPerYear: nonNegative("a drift"),
  calibrationMs: { min: -8.64e15, max: 8.64e15, minInclusive: true, why: "epoch milliseconds" },
  omegaAvg: nonNegative("a term weight"),
  omegaEnd: nonNegative("a term weight"),
  omegaPeak: nonNegative("a term weight"),
  g: positive("a gain"),
  weightTouchpoint: positive("an event weight"),
  weightExpectation: positive("an event weight"),
  weightIssue: positive("an event weight"),
  weightSurvey: positive("an event weight"),
  allowedLatenessHours: nonNegative("a duration"),
  bufferCap: { min: 1, max: 1_000_000, minInclusive: true, integer: true, why: "a count of events" },
  dedupHorizonHours: nonNegative("a duration"),
  dedupCap: { min: 0, max: 1_000_000, minInclusive: true, integer: true, why: "a count of ids" }
}

const paramNames = Object.keys(rules).sort() as ReadonlyArray<ParamName>

export type ParamsResult =
  | { readonly ok: true; readonly params: Params }
  | { readonly ok: false; readonly errors: ReadonlyArray<string> }

/**
 * Validates a params JSON object. Fields left out take the model version 1
 * default, so a params file names only what it changes; unknown fields are
 * refused (a typo must not silently fall back to a default). Every problem is
 * reported, each naming the field and the rule.
 */
export const parseParams = (input: unknown): ParamsResult => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, errors: ["params: expected a JSON object"] }
  }
  const errors: Array<string> = []
  const record = input as Record<string, unknown>
  for (const key of Object.keys(record)) {
    if (!(key in rules)) errors.push(`${key}: unknown parameter (known: ${paramNames.join(", ")})`)
  }
  const out: Record<string, number> = {}
  for (const name of paramNames) {
    const rule = rules[name]
    const value = name in record ? record[name] : defaultParams[name]
    if (typeof value !== "number" || !Number.isFinite(value)) {
      errors.push(`${name}: expected a finite number, got ${JSON.stringify(value)}`)
      continue
    }
    const belowMin = rule.minInclusive ? value < rule.min : value <= rule.min
    if (belowMin || value > rule.max || (rule.integer === true && !Number.isInteger(value))) {
      const range = `${rule.minInclusive ? "[" : "("}${rule.min}, ${rule.max === Number.MAX_VALUE ? "∞" : rule.max}]`
      errors.push(`${name}: ${value} is outside ${range}${rule.integer === true ? " (an integer)" : ""}: ${rule.why}`)
      continue
    }
    out[name] = value
  }
  if (errors.length > 0) return { ok: false, errors }
  // Spread over the defaults: the same property order and a fast (non-dictionary) object, which the
  // fold reads millions of times a second.
  return { ok: true, params: Object.freeze({ ...defaultParams, ...(out as unknown as Params) }) }
}

/** The canonical serialization the version id is derived from: every field, sorted by name. */
export const canonicalParams = (params: Params): string =>
  JSON.stringify(Object.fromEntries(paramNames.map((name) => [name, params[name]])))

/** 64-bit FNV-1a, as 16 hex digits: a stable fingerprint (not a security hash). */
const fnv1a64 = (text: string): string => {
  let hash = 0xcbf29ce484222325n
  const bytes = new TextEncoder().encode(text)
  for (const byte of bytes) {
    hash ^= BigInt(byte)
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return hash.toString(16).padStart(16, "0")
}

const versionIds = new WeakMap<Params, string>()

/**
 * `m1-` followed by 12 hex digits of a hash of the canonical serialization:
 * equal values give equal ids on every machine; any changed value gives a new
 * id. `m1` is the model's formula generation, which only changes with the code.
 */
export const modelVersionId = (params: Params): string => {
  const cached = versionIds.get(params)
  if (cached !== undefined) return cached
  const id = `m1-${fnv1a64(canonicalParams(params)).slice(0, 12)}`
  versionIds.set(params, id)
  return id
}
