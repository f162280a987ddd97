import fc from "fast-check"
import { compareCanonical, type ModelEvent } from "../src/index.ts"
import { DAY, T0 } from "./builders.ts"

/**
 * fast-check arbitraries of one customer's history at the model's level
 * (the wire-level arbitraries live in @xpscore/events/testing). Values come
 * from the ranges of the events table; times from a window that starts at
 * the drift's calibration date.
 */

const sources = ["/app", "/checkout", "/support-desk", "/survey-tool"] as const
const dimensions = ["delivery-speed", "price", "support"] as const
const issueIds = ["i-1", "i-2", "i-3"] as const

const unit = fc.double({ min: 0, max: 1, noNaN: true })
const twoDecimals = (n: number) => Math.round(n * 100) / 100

/** An event without its identity and time (an Omit that keeps the union apart). */
export type Payload = ModelEvent extends infer E
  ? E extends ModelEvent
    ? Omit<E, "id" | "source" | "t">
    : never
  : never

export interface PayloadOptions {
  /** Only events whose impression has this sign (issues only when negative). */
  readonly sign?: "positive" | "negative"
}

/** One event's payload (identity and time are added by `historyArb`). */
export const payloadArb = (options: PayloadOptions = {}): fc.Arbitrary<Payload> => {
  const touchpoint = fc
    .double({
      min: options.sign === "negative" ? -1 : options.sign === "positive" ? 0 : -1,
      max: options.sign === "negative" ? -0.01 : 1,
      noNaN: true
    })
    .map((quality) => ({ kind: "touchpoint" as const, quality }))
  const survey = fc.oneof(
    fc.integer({ min: options.sign === "positive" ? 3 : 1, max: options.sign === "negative" ? 2 : 5 }).map((value) => ({
      kind: "survey" as const,
      scale: "csat" as const,
      value
    })),
    fc
      .integer({ min: options.sign === "positive" ? 7 : 0, max: options.sign === "negative" ? 6 : 10 })
      .map((value) => ({ kind: "survey" as const, scale: "nps" as const, value })),
    fc.integer({ min: options.sign === "positive" ? 4 : 1, max: options.sign === "negative" ? 3 : 7 }).map((value) => ({
      kind: "survey" as const,
      scale: "ces" as const,
      value
    }))
  )
  const expectation =
    options.sign === undefined
      ? fc.record({
          kind: fc.constant("expectation" as const),
          dimension: fc.constantFrom(...dimensions),
          expected: unit.map(twoDecimals),
          actual: unit.map(twoDecimals),
          negotiated: fc.boolean()
        })
      : // Negotiated, so the sign is known: met or exceeded is ≥ c_meet > 0; missed by more than 0.1 is < 0.
        fc
          .tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0.11, max: 1, noNaN: true }))
          .filter(([expected, d]) => (options.sign === "positive" ? expected + d <= 1 : expected - d >= 0))
          .map(([expected, d]) => ({
            kind: "expectation" as const,
            dimension: "price",
            expected,
            actual: options.sign === "positive" ? expected + d : expected - d,
            negotiated: true
          }))
  const issue = fc.oneof(
    fc.record({
      kind: fc.constant("issueOpened" as const),
      issueId: fc.constantFrom(...issueIds),
      severity: fc.double({ min: 0.01, max: 1, noNaN: true })
    }),
    fc.record({
      kind: fc.constant("issueResolved" as const),
      issueId: fc.constantFrom(...issueIds),
      quality: unit,
      // Outside the SLA the recovery is a double deviation: always negative.
      withinSla: options.sign === "negative" ? fc.constant(false) : fc.boolean()
    })
  )
  if (options.sign === "positive") return fc.oneof(touchpoint, survey, expectation)
  return fc.oneof(touchpoint, survey, expectation, issue)
}

export interface HistoryOptions extends PayloadOptions {
  readonly minLength?: number
  readonly maxLength?: number
  /** Events fall in [T0, T0 + spanMs]. */
  readonly spanMs?: number
}

/**
 * A history in canonical order: unique ids (so no duplicates unless a test
 * adds them), times drawn in the span (ties included, on purpose).
 */
export const historyArb = (options: HistoryOptions = {}): fc.Arbitrary<Array<ModelEvent>> =>
  fc
    .array(
      fc.tuple(
        payloadArb(options),
        fc.integer({ min: 0, max: options.spanMs ?? 120 * DAY }),
        fc.constantFrom(...sources)
      ),
      { minLength: options.minLength ?? 0, maxLength: options.maxLength ?? 30 }
    )
    .map((drawn) =>
      drawn
        .map(
          ([payload, offset, source], i) =>
            ({ ...payload, id: `ev-${String(i).padStart(3, "0")}`, source, t: T0 + offset }) as ModelEvent
        )
        .sort(compareCanonical)
    )

/** A permutation of `items`. */
export const permutationArb = <A>(items: ReadonlyArray<A>): fc.Arbitrary<Array<A>> =>
  fc.shuffledSubarray([...items], { minLength: items.length, maxLength: items.length })
