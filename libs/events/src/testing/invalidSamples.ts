import fc from "fast-check"
import type { RejectionRule } from "../rules.ts"
import { arbitraryWireEvent, type XpEventWire } from "./arbitraries.ts"

/** A record that is not a valid event, and what the decoder must say about it. */
export interface InvalidSample {
  readonly name: string
  /** the record as it would arrive on the topic */
  readonly raw: string | Uint8Array
  readonly path: string
  readonly rule: RejectionRule
}

const base = {
  specversion: "1.0",
  id: "evt-1",
  source: "checkout",
  subject: "customer-1",
  time: "2024-05-01T12:00:00.000Z"
} as const

/** One valid event of each type: the invalid samples are each one defect away from these. */
export const validSamples = {
  touchpoint: { ...base, type: "xp.touchpoint.v1", data: { quality: 0.5, aspect: "competence" } },
  expectation: {
    ...base,
    type: "xp.expectation.v1",
    channel: "web",
    segment: "smb",
    data: { dimension: "delivery-speed", expected: 0.5, actual: 0.8, negotiated: true }
  },
  issueOpened: { ...base, type: "xp.issue.opened.v1", data: { issueId: "ticket-7", severity: 0.4 } },
  issueResolved: {
    ...base,
    type: "xp.issue.resolved.v1",
    data: { issueId: "ticket-7", quality: 0.9, withinSla: true }
  },
  survey: { ...base, type: "xp.survey.v1", data: { scale: "nps", value: 9 } }
} as const

const { touchpoint, expectation, issueOpened, issueResolved, survey } = validSamples

const json = (value: unknown) => JSON.stringify(value)
const withData = <E extends { readonly data: object }>(event: E, data: Record<string, unknown>) => ({
  ...event,
  data: { ...event.data, ...data }
})
const without = (event: object, key: string) => Object.fromEntries(Object.entries(event).filter(([k]) => k !== key))
const sample = (name: string, raw: string | Uint8Array, path: string, rule: RejectionRule): InvalidSample => ({
  name,
  raw,
  path,
  rule
})

const touchpointText = json(touchpoint)
const invalidUtf8 = (() => {
  const bytes = new TextEncoder().encode(touchpointText)
  const at = touchpointText.indexOf("customer-1")
  const out = new Uint8Array(bytes)
  out[at] = 0xff
  return out
})()

/**
 * Invalid records, at least one per rule, each with the path and rule the
 * decoder must report. Every one of them is also rejected by the generated
 * JSON Schema (after parsing the bytes as UTF-8 JSON, as any validator in
 * another language would), which the suite checks.
 */
export const invalidSamples: ReadonlyArray<InvalidSample> = [
  sample("a record over 64 KiB", json({ ...touchpoint, tracestate: "x".repeat(70_000) }), "$", "size"),
  sample("bytes that are not UTF-8", invalidUtf8, "$", "utf8"),
  sample("truncated JSON", touchpointText.slice(0, -3), "$", "json"),
  sample("NaN written as a bare word", touchpointText.replace('"quality":0.5', '"quality":NaN'), "$", "json"),
  sample("a JSON array instead of an event", json([touchpoint]), "$", "type"),
  sample("a JSON string instead of an event", json("xp.touchpoint.v1"), "$", "type"),
  sample("missing id", json(without(touchpoint, "id")), "id", "required"),
  sample("missing subject (customer id)", json(without(survey, "subject")), "subject", "required"),
  sample("missing time", json(without(expectation, "time")), "time", "required"),
  sample("missing data", json(without(issueOpened, "data")), "data", "required"),
  sample("missing quality", json({ ...touchpoint, data: { aspect: "character" } }), "data.quality", "required"),
  sample("missing type", json(without(touchpoint, "type")), "type", "required"),
  sample(
    "a typo in a data field (qualty)",
    json({ ...touchpoint, data: { qualty: 0.5 } }),
    "data.qualty",
    "unknown-field"
  ),
  sample(
    "a typo in an extension attribute (chanel)",
    json({ ...touchpoint, chanel: "web" }),
    "chanel",
    "unknown-field"
  ),
  sample("data_base64 instead of data", json({ ...touchpoint, data_base64: "e30=" }), "data_base64", "unknown-field"),
  sample("an unknown event type", json({ ...touchpoint, type: "xp.purchase.v1" }), "type", "unknown-type"),
  sample(
    "a type outside the xp namespace",
    json({ ...touchpoint, type: "com.example.touchpoint" }),
    "type",
    "unknown-type"
  ),
  sample(
    "a version the registry does not know",
    json({ ...touchpoint, type: "xp.touchpoint.v9" }),
    "type",
    "unknown-version"
  ),
  sample("an unknown aspect", json(withData(touchpoint, { aspect: "competency" })), "data.aspect", "enum"),
  sample("an unknown survey scale", json(withData(survey, { scale: "stars" })), "data.scale", "enum"),
  sample("CloudEvents 0.3", json({ ...touchpoint, specversion: "0.3" }), "specversion", "enum"),
  sample(
    "a datacontenttype other than JSON",
    json({ ...touchpoint, datacontenttype: "text/plain" }),
    "datacontenttype",
    "enum"
  ),
  sample("a number as a string", json(withData(touchpoint, { quality: "0.5" })), "data.quality", "type"),
  sample("NaN as a string", json(withData(expectation, { actual: "NaN" })), "data.actual", "type"),
  sample("Infinity as a string", json(withData(issueOpened, { severity: "Infinity" })), "data.severity", "type"),
  sample("a boolean as a string", json(withData(issueResolved, { withinSla: "yes" })), "data.withinSla", "type"),
  sample("a customer id that is a number", json({ ...touchpoint, subject: 42 }), "subject", "type"),
  sample("data that is not an object", json({ ...survey, data: 9 }), "data", "type"),
  sample(
    "quality with an exponent beyond double range",
    touchpointText.replace('"quality":0.5', '"quality":1e400'),
    "data.quality",
    "finite"
  ),
  sample("a survey value of -1e999", json(survey).replace('"value":9', '"value":-1e999'), "data.value", "finite"),
  sample("a fractional csat answer", json({ ...survey, data: { scale: "csat", value: 3.5 } }), "data.value", "integer"),
  sample("quality above 1", json(withData(touchpoint, { quality: 1.5 })), "data.quality", "range"),
  sample("quality below -1", json(withData(touchpoint, { quality: -1.000001 })), "data.quality", "range"),
  sample("severity 0 (must be above 0)", json(withData(issueOpened, { severity: 0 })), "data.severity", "range"),
  sample("expected below 0", json(withData(expectation, { expected: -0.1 })), "data.expected", "range"),
  sample("resolution quality above 1", json(withData(issueResolved, { quality: 2 })), "data.quality", "range"),
  sample("an nps of 11", json(withData(survey, { value: 11 })), "data.value", "range"),
  sample("a ces of 0", json({ ...survey, data: { scale: "ces", value: 0 } }), "data.value", "range"),
  sample(
    "a time in 1970 (epoch seconds read as ms)",
    json({ ...touchpoint, time: "1970-01-20T18:13:20.000Z" }),
    "time",
    "range"
  ),
  sample("a time in 9999", json({ ...touchpoint, time: "9999-12-31T23:59:59.999Z" }), "time", "range"),
  sample("an empty customer id", json({ ...touchpoint, subject: "" }), "subject", "length"),
  sample("an event id of 257 characters", json({ ...touchpoint, id: "x".repeat(257) }), "id", "length"),
  sample(
    "a customer id with NUL",
    json({ ...touchpoint, subject: "customer\u00001" }),
    "subject",
    "control-characters"
  ),
  sample("an event id with a newline", json({ ...touchpoint, id: "evt\n1" }), "id", "control-characters"),
  sample(
    "an issue id with a tab",
    json(withData(issueOpened, { issueId: "ticket\t7" })),
    "data.issueId",
    "control-characters"
  ),
  sample(
    "a dimension with a C1 control",
    json(withData(expectation, { dimension: "speed\u0085" })),
    "data.dimension",
    "control-characters"
  ),
  sample(
    "a customer id with an unpaired surrogate",
    touchpointText.replace('"customer-1"', '"customer-\\ud800"'),
    "subject",
    "unicode"
  ),
  sample("a time without milliseconds", json({ ...touchpoint, time: "2024-05-01T12:00:00Z" }), "time", "timestamp"),
  sample("a time with an offset", json({ ...touchpoint, time: "2024-05-01T14:00:00.000+02:00" }), "time", "timestamp"),
  sample("February 30", json({ ...touchpoint, time: "2024-02-30T12:00:00.000Z" }), "time", "timestamp"),
  sample(
    "a time with a space instead of T",
    json({ ...touchpoint, time: "2024-05-01 12:00:00.000Z" }),
    "time",
    "timestamp"
  ),
  sample("a leap second", json({ ...touchpoint, time: "2016-12-31T23:59:60.000Z" }), "time", "timestamp"),
  sample("an uppercase channel", json({ ...touchpoint, channel: "Web" }), "channel", "pattern"),
  sample("a segment with a space", json({ ...touchpoint, segment: "small business" }), "segment", "pattern"),
  sample("a malformed traceparent", json({ ...touchpoint, traceparent: "trace-me" }), "traceparent", "pattern"),
  sample(
    "a relative dataschema",
    json({ ...touchpoint, dataschema: "schemas/touchpoint.json" }),
    "dataschema",
    "pattern"
  )
]

/** How an arbitrary valid event is made invalid, and what the decoder must then say. */
interface Defect {
  readonly path: string
  readonly rule: RejectionRule
  readonly apply: (event: XpEventWire) => string | Uint8Array
}

const defects: ReadonlyArray<Defect> = [
  { path: "$", rule: "size", apply: (e) => json({ ...e, tracestate: "x".repeat(70_000) }) },
  { path: "$", rule: "json", apply: (e) => json(e).slice(0, -1) },
  {
    path: "$",
    rule: "utf8",
    apply: (e) => {
      const bytes = new TextEncoder().encode(json(e))
      const out = new Uint8Array(bytes.length + 1)
      out.set(bytes.subarray(0, 1))
      out[1] = 0xc3 // a lead byte followed by `"`: not UTF-8
      out.set(bytes.subarray(1), 2)
      return out
    }
  },
  { path: "subject", rule: "required", apply: (e) => json(without(e, "subject")) },
  { path: "time", rule: "timestamp", apply: (e) => json({ ...e, time: e.time.replace(/\.\d{3}Z$/, "Z") }) },
  { path: "subject", rule: "control-characters", apply: (e) => json({ ...e, subject: `${e.subject}\u0000` }) },
  { path: "type", rule: "unknown-version", apply: (e) => json({ ...e, type: e.type.replace(/\.v1$/, ".v99") }) },
  { path: "type", rule: "unknown-type", apply: (e) => json({ ...e, type: "xp.unheard-of.v1" }) },
  { path: "data.typo", rule: "unknown-field", apply: (e) => json({ ...e, data: { ...e.data, typo: 1 } }) },
  { path: "specversion", rule: "enum", apply: (e) => json({ ...e, specversion: "0.3" }) },
  { path: "id", rule: "length", apply: (e) => json({ ...e, id: "" }) }
]

/**
 * An invalid record made from an arbitrary valid event by one defect, with
 * the path and rule the decoder must report (for dead-letter tests). The
 * record keeps a customer id where the defect allows, so it can be keyed.
 */
export const arbitraryInvalidRecord: fc.Arbitrary<InvalidSample & { readonly subject: string }> = fc
  .tuple(arbitraryWireEvent, fc.constantFrom(...defects))
  .map(([event, defect]) => ({
    name: `${event.type} with ${defect.rule} at ${defect.path}`,
    raw: defect.apply(event),
    path: defect.path,
    rule: defect.rule,
    subject: event.subject
  }))
