import { Schema } from "effect"
import { ruleOf } from "./rules.ts"

/** C0 controls (NUL, tab, newline, …), DEL and the C1 controls. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL_CHARACTERS_GLOBAL = /[\u0000-\u001f\u007f-\u009f]/g

export const hasControlCharacters = (s: string) => CONTROL_CHARACTERS.test(s)

/** Text fit for one line of a log or terminal: control characters as `\uXXXX` escapes. */
export const escapeControlCharacters = (s: string) =>
  s.replace(CONTROL_CHARACTERS_GLOBAL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

/**
 * One pattern for JSON Schema validators that says both string rules: with
 * the `u` flag (standard for JSON Schema patterns) a well-formed surrogate
 * pair is one code point outside U+D800–U+DFFF, so only unpaired halves and
 * control characters fail it.
 */
const PLAIN_TEXT_PATTERN = "^[^\\u0000-\\u001F\\u007F-\\u009F\\uD800-\\uDFFF]*$"

/** No control characters: ids end up in Kafka keys, logs, terminals and SQL literals. */
export const isFreeOfControlCharacters = Schema.makeFilter((s: string) => !hasControlCharacters(s), {
  ...ruleOf("control-characters", "a string without control characters (U+0000–U+001F, U+007F–U+009F)"),
  toJsonSchema: () => ({ pattern: PLAIN_TEXT_PATTERN })
})

/**
 * Well-formed Unicode: a lone surrogate (possible through a `\ud800` JSON
 * escape) cannot be encoded as UTF-8, so it could not survive the round trip
 * through a Kafka key or a ClickHouse column unchanged.
 */
export const isWellFormedUnicode = Schema.makeFilter((s: string) => s.isWellFormed(), {
  ...ruleOf("unicode", "well-formed Unicode (no unpaired surrogate)"),
  toJsonSchema: () => ({ pattern: PLAIN_TEXT_PATTERN })
})

const countCodePoints = (s: string) => {
  let count = 0
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i)
    if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1)
      if (next >= 0xdc00 && next <= 0xdfff) i++
    }
    count++
  }
  return count
}

/**
 * Length in Unicode code points, as JSON Schema's `minLength`/`maxLength`
 * count it. Most strings are decided by their UTF-16 length alone (a code
 * point is one or two units), without walking them.
 */
const isBetweenCodePoints = (min: number, max: number) =>
  Schema.makeFilter(
    (s: string) => {
      const units = s.length
      if (units < min || units > 2 * max) return false
      // n units hold between ⌈n/2⌉ and n code points
      if (units <= max && units >= 2 * min - 1) return true
      const count = countCodePoints(s)
      return count >= min && count <= max
    },
    {
      ...ruleOf("length", `a string of ${min} to ${max} characters (Unicode code points)`),
      toJsonSchema: () => ({ minLength: min, maxLength: max })
    }
  )

/** Free text of bounded length: no control characters, well-formed, `min`–`max` code points. */
export const boundedText = (min: number, max: number) =>
  Schema.String.check(isBetweenCodePoints(min, max), isFreeOfControlCharacters, isWellFormedUnicode)

/**
 * Identifiers (customer, event, source, dimension, issue): 1–256 Unicode code
 * points, no control characters. Anything else is allowed and passes
 * unchanged: quotes, backslashes, SQL fragments, emoji are data, and every
 * sink escapes them.
 */
const Id = boundedText(1, 256)

/** The customer an event is about: CloudEvents `subject`, and the Kafka record key. */
export const CustomerId = Id.pipe(Schema.brand("CustomerId"))
export type CustomerId = typeof CustomerId.Type

/** CloudEvents `id`: unique per `source`; (`source`, `id`) is the dedup identity. */
export const EventId = Id.pipe(Schema.brand("EventId"))
export type EventId = typeof EventId.Type

/** CloudEvents `source`: the producing service (a URI-reference such as `checkout` or `/support/desk`). */
export const EventSource = Id.pipe(Schema.brand("EventSource"))
export type EventSource = typeof EventSource.Type

/** An expectation dimension (`delivery-speed`, `price`, …). */
export const DimensionId = Id.pipe(Schema.brand("DimensionId"))
export type DimensionId = typeof DimensionId.Type

/** Ties an issue's opening to its resolution, per customer. */
export const IssueId = Id.pipe(Schema.brand("IssueId"))
export type IssueId = typeof IssueId.Type

/** Lowercase tokens for BI rollups: 1–64 of a–z, 0–9, `_`, `-`, `.`, starting with a letter or digit. */
export const Token = Schema.String.check(
  Schema.isPattern(/^[a-z0-9][a-z0-9_.-]{0,63}$/u, ruleOf("pattern", "a lowercase token: 1–64 of a-z 0-9 _ - ."))
)
