import { Schema } from "effect"

/**
 * The rules an event can break, as short machine-friendly ids. A rejection
 * names one of them together with the path of the offending field, so that
 * dead letters can be counted by rule and producers can fix the right thing.
 *
 * | rule | meaning |
 * | --- | --- |
 * | `size` | the record is larger than 64 KiB |
 * | `utf8` | the bytes are not valid UTF-8 |
 * | `json` | the text is not JSON |
 * | `type` | a value has the wrong JSON type (the whole record: not an object) |
 * | `required` | a required field is missing |
 * | `unknown-field` | a field the contract does not define (typos like `qualty`) |
 * | `unknown-type` | `type` names no event type of the registry |
 * | `unknown-version` | `type` names a known event type in a version the registry does not know |
 * | `enum` | a value outside a fixed set (`specversion`, `aspect`, `scale`, …) |
 * | `finite` | a number that is not finite (`1e400` parses to Infinity) |
 * | `integer` | a number that must be an integer |
 * | `range` | a number, or an event time, outside its range |
 * | `length` | a string too short or too long (ids: 1–256 code points) |
 * | `control-characters` | a string containing U+0000–U+001F, U+007F or U+0080–U+009F |
 * | `unicode` | a string containing an unpaired surrogate (not encodable as UTF-8) |
 * | `timestamp` | a time that is not RFC 3339 UTC with milliseconds (`2024-05-01T12:00:00.000Z`) |
 * | `pattern` | a string not in its documented form (channel, segment, dataschema, traceparent) |
 */
export const RejectionRule = Schema.Literals([
  "size",
  "utf8",
  "json",
  "type",
  "required",
  "unknown-field",
  "unknown-type",
  "unknown-version",
  "enum",
  "finite",
  "integer",
  "range",
  "length",
  "control-characters",
  "unicode",
  "timestamp",
  "pattern"
])
export type RejectionRule = typeof RejectionRule.Type

export const rejectionRules: ReadonlyArray<RejectionRule> = RejectionRule.literals

/** Annotation key under which a schema check names the rule it enforces. */
export const ruleAnnotation = "xpscoreRule"

/** Annotations for a check that enforces `rule`. */
export const ruleOf = (rule: RejectionRule, expected?: string) =>
  expected === undefined ? { [ruleAnnotation]: rule } : { [ruleAnnotation]: rule, expected }
