import type { RejectionRule } from "@xpscore/events"
import type { JourneyEvent } from "./customerJourney.ts"

/**
 * The kinds of broken record the simulator sends, each the way a real
 * producer breaks: a truncated write, a unit or scale mistake, a field
 * dropped by a mapping bug, a number serialised as text, a typo, a local
 * time format, an id glued together with a newline, an event type nobody
 * registered, a new version deployed before the scorer, a legacy encoding,
 * a payload that grew too big.
 */
export const invalidKinds = [
  "malformed-json",
  "out-of-range",
  "missing-field",
  "wrong-type",
  "unknown-field",
  "bad-timestamp",
  "control-characters",
  "unknown-type",
  "unknown-version",
  "not-utf8",
  "oversized"
] as const
export type InvalidKind = (typeof invalidKinds)[number]

/** How often each kind occurs relative to the others. */
export const invalidKindWeights: Readonly<Record<InvalidKind, number>> = {
  "malformed-json": 3,
  "out-of-range": 3,
  "missing-field": 2,
  "wrong-type": 2,
  "unknown-field": 2,
  "bad-timestamp": 2,
  "control-characters": 1,
  "unknown-type": 1,
  "unknown-version": 1,
  "not-utf8": 1,
  oversized: 0.5
}

/** A broken record and what the decoder must say about it. */
export interface InvalidRecordValue {
  readonly value: string | Uint8Array
  readonly path: string
  readonly rule: RejectionRule
}

type Wire = Readonly<Record<string, unknown>>
type Data = Readonly<Record<string, unknown>>

const json = (wire: Wire) => JSON.stringify(wire)
const dataOf = (wire: Wire) => wire.data as Data
const withData = (wire: Wire, data: Data): Wire => ({ ...wire, data })
const without = (record: Data, key: string) => Object.fromEntries(Object.entries(record).filter(([k]) => k !== key))

/** The numeric field of each type that a unit mistake lands in, and a value outside its range. */
const outOfRange = (wire: Wire, variant: number): InvalidRecordValue => {
  const data = dataOf(wire)
  switch (wire.type) {
    case "xp.touchpoint.v1":
      return {
        value: json(withData(wire, { ...data, quality: variant < 0.5 ? 1.5 : -2 })),
        path: "data.quality",
        rule: "range"
      }
    case "xp.expectation.v1":
      // a percentage sent where a fraction belongs
      return {
        value: json(withData(wire, { ...data, actual: Math.max(2, Math.round((data.actual as number) * 100)) })),
        path: "data.actual",
        rule: "range"
      }
    case "xp.issue.opened.v1":
      return { value: json(withData(wire, { ...data, severity: 0 })), path: "data.severity", rule: "range" }
    case "xp.issue.resolved.v1":
      return { value: json(withData(wire, { ...data, quality: 5 })), path: "data.quality", rule: "range" }
    default: {
      const scale = data.scale as string
      const value = scale === "nps" ? 11 : scale === "csat" ? 6 : 0
      return { value: json(withData(wire, { ...data, value })), path: "data.value", rule: "range" }
    }
  }
}

const requiredDataField: Readonly<Record<string, string>> = {
  "xp.touchpoint.v1": "quality",
  "xp.expectation.v1": "expected",
  "xp.issue.opened.v1": "severity",
  "xp.issue.resolved.v1": "withinSla"
}

const missingField = (wire: Wire, variant: number): InvalidRecordValue => {
  const dataField = requiredDataField[wire.type as string]
  if (variant < 0.4 || dataField === undefined) {
    const attribute = variant < 0.2 || dataField === undefined ? "time" : "subject"
    return { value: json(without(wire, attribute)), path: attribute, rule: "required" }
  }
  return { value: json(withData(wire, without(dataOf(wire), dataField))), path: `data.${dataField}`, rule: "required" }
}

const wrongType = (wire: Wire): InvalidRecordValue => {
  const data = dataOf(wire)
  switch (wire.type) {
    case "xp.touchpoint.v1":
      return {
        value: json(withData(wire, { ...data, quality: String(data.quality) })),
        path: "data.quality",
        rule: "type"
      }
    case "xp.expectation.v1":
      return {
        value: json(withData(wire, { ...data, expected: String(data.expected) })),
        path: "data.expected",
        rule: "type"
      }
    case "xp.issue.opened.v1":
      return {
        value: json(withData(wire, { ...data, severity: String(data.severity) })),
        path: "data.severity",
        rule: "type"
      }
    case "xp.issue.resolved.v1":
      return {
        value: json(withData(wire, { ...data, withinSla: data.withinSla ? "yes" : "no" })),
        path: "data.withinSla",
        rule: "type"
      }
    default:
      return { value: json({ ...wire, subject: 42 }), path: "subject", rule: "type" }
  }
}

const badTimestamps = [
  (time: string) => time.replace("T", " "),
  (time: string) => time.replace(/\.\d{3}Z$/, "Z"),
  (time: string) => time.replace("Z", "+00:00")
]

/** Replaces the first byte of the customer id with 0xFF, a byte UTF-8 never contains. */
const notUtf8 = (wire: Wire): Uint8Array => {
  const text = json(wire)
  const bytes = new TextEncoder().encode(text)
  const at = new TextEncoder().encode(text.slice(0, text.indexOf('"subject":"') + 11)).length
  const out = new Uint8Array(bytes)
  out[at] = 0xff
  return out
}

/**
 * Turns a valid event into a record of `kind`, with id `<id>/corrupt` so it
 * never collides with the event it came from. `variant` (uniform in [0, 1))
 * picks among the ways a kind can happen.
 */
export const invalidRecord = (kind: InvalidKind, event: JourneyEvent, variant: number): InvalidRecordValue => {
  const wire: Wire = { ...event.wire, id: `${event.id}/corrupt` }
  switch (kind) {
    case "malformed-json": {
      // a write cut short: any proper prefix of a JSON object is not JSON
      const text = json(wire)
      return { value: text.slice(0, 1 + Math.floor(variant * (text.length - 2))), path: "$", rule: "json" }
    }
    case "out-of-range":
      return outOfRange(wire, variant)
    case "missing-field":
      return missingField(wire, variant)
    case "wrong-type":
      return wrongType(wire)
    case "unknown-field": {
      const { channel, ...rest } = wire
      return { value: json({ ...rest, chanel: channel }), path: "chanel", rule: "unknown-field" }
    }
    case "bad-timestamp": {
      const spoil = badTimestamps[Math.floor(variant * badTimestamps.length)]!
      return { value: json({ ...wire, time: spoil(wire.time as string) }), path: "time", rule: "timestamp" }
    }
    case "control-characters": {
      const control = ["\n", "\u0000", "\t", "\u0085"][Math.floor(variant * 4)]!
      return { value: json({ ...wire, id: `${event.id}${control}corrupt` }), path: "id", rule: "control-characters" }
    }
    case "unknown-type":
      return {
        value: json({ ...wire, type: variant < 0.5 ? "xp.refund.v1" : "com.example.order.shipped" }),
        path: "type",
        rule: "unknown-type"
      }
    case "unknown-version":
      // a producer that upgraded before the scorer: a touchpoint v2 with the model's confidence
      return wire.type === "xp.touchpoint.v1"
        ? {
            value: json({
              ...wire,
              type: "xp.touchpoint.v2",
              data: { ...dataOf(wire), confidence: Math.round(variant * 1000) / 1000 }
            }),
            path: "type",
            rule: "unknown-version"
          }
        : {
            value: json({ ...wire, type: (wire.type as string).replace(/\.v1$/, ".v2") }),
            path: "type",
            rule: "unknown-version"
          }
    case "not-utf8":
      return { value: notUtf8(wire), path: "$", rule: "utf8" }
    case "oversized":
      return { value: json(withData(wire, { ...dataOf(wire), note: "x".repeat(70_000) })), path: "$", rule: "size" }
  }
}
