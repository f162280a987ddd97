import fc from "fast-check"
import type { expectationV1, issueOpenedV1, issueResolvedV1, surveyV1, touchpointV1 } from "../catalogue.ts"
import { decodeEventOrThrow } from "../decode.ts"
import { hasControlCharacters } from "../ids.ts"
import { currentRegistry, type XpEvent, type XpEventKind } from "../registry.ts"
import { formatTimestamp } from "../timestamp.ts"

/** The wire form of each current type, as a producer writes it. */
export type TouchpointWire = typeof touchpointV1.schema.Encoded
export type ExpectationWire = typeof expectationV1.schema.Encoded
export type IssueOpenedWire = typeof issueOpenedV1.schema.Encoded
export type IssueResolvedWire = typeof issueResolvedV1.schema.Encoded
export type SurveyWire = typeof surveyV1.schema.Encoded
export type XpEventWire = TouchpointWire | ExpectationWire | IssueOpenedWire | IssueResolvedWire | SurveyWire

/**
 * Valid ids that break naive code: quotes, backslashes, SQL and JSON
 * fragments, shell metacharacters, emoji and other astral characters,
 * combining marks, right-to-left text, the longest allowed id.
 */
export const hostileValidIds: ReadonlyArray<string> = [
  "o'brien",
  'say "hi"',
  "back\\slash",
  "\\'",
  "'); DROP TABLE customers; --",
  "1 OR 1=1",
  '{"json":true}',
  "$(rm -rf /)",
  "😀👍🏽",
  "𝔁𝓹𝓼𝓬𝓸𝓻𝓮",
  "e\u0301\u0301",
  "مرحبا",
  "Ærøskøbing – 東京",
  " leading and trailing ",
  "x".repeat(256),
  "🎉".repeat(256)
]

const plainIdArbitrary = fc.stringMatching(/^[a-z][a-z0-9-]{0,23}$/)

const unicodeIdArbitrary = fc
  .string({ unit: "grapheme", minLength: 1, maxLength: 24 })
  .filter((s) => !hasControlCharacters(s) && s.isWellFormed() && [...s].length <= 256)

/** Ids as producers send them: mostly plain, sometimes hostile but valid. */
export const arbitraryId: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: plainIdArbitrary, weight: 6 },
  { arbitrary: fc.constantFrom(...hostileValidIds), weight: 2 },
  { arbitrary: unicodeIdArbitrary, weight: 2 }
)

/** Epoch milliseconds in [2020-01-01, 2030-01-01). */
export const arbitraryTimeMs = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2030, 0, 1) - 1 })

/** A number in [min, max] without -0 (JSON has no -0: it would not survive a round trip). */
export const arbitraryNumberBetween = (min: number, max: number, minExcluded = false) =>
  fc.double({ min, max, minExcluded, noNaN: true }).map((x) => (Object.is(x, -0) ? 0 : x))

const token = fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,15}$/)

const traceparent = fc
  .tuple(fc.stringMatching(/^[0-9a-f]{32}$/), fc.stringMatching(/^[0-9a-f]{16}$/), fc.constantFrom("00", "01"))
  .map(([trace, span, flags]) => `00-${trace}-${span}-${flags}`)

const envelope = {
  specversion: fc.constant("1.0" as const),
  id: arbitraryId,
  source: arbitraryId,
  subject: arbitraryId,
  time: arbitraryTimeMs.map(formatTimestamp),
  datacontenttype: fc.constant("application/json" as const),
  dataschema: fc.constantFrom("https://schemas.example.com/xp/touchpoint.json", "urn:xpscore:schema:1"),
  channel: token,
  segment: token,
  traceparent,
  tracestate: fc.constantFrom("", "vendor=abc", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7")
}
const requiredEnvelope = ["specversion", "id", "source", "subject", "time", "type", "data"] as const

const event = <T, D>(type: T, data: fc.Arbitrary<D>) =>
  fc.record({ ...envelope, type: fc.constant(type), data }, { requiredKeys: [...requiredEnvelope] })

export const arbitraryTouchpointData = fc.record(
  {
    quality: arbitraryNumberBetween(-1, 1),
    aspect: fc.constantFrom("competence" as const, "character" as const)
  },
  { requiredKeys: ["quality"] }
)

export const arbitraryExpectationData = fc.record(
  {
    dimension: arbitraryId,
    expected: arbitraryNumberBetween(0, 1),
    actual: arbitraryNumberBetween(0, 1),
    negotiated: fc.boolean()
  },
  { requiredKeys: ["dimension", "expected", "actual"] }
)

export const arbitraryIssueOpenedData = fc.record({
  issueId: arbitraryId,
  severity: arbitraryNumberBetween(0, 1, true)
})

export const arbitraryIssueResolvedData = fc.record({
  issueId: arbitraryId,
  quality: arbitraryNumberBetween(0, 1),
  withinSla: fc.boolean()
})

export const arbitrarySurveyData = fc.oneof(
  fc.record({ scale: fc.constant("csat" as const), value: fc.integer({ min: 1, max: 5 }) }),
  fc.record({ scale: fc.constant("nps" as const), value: fc.integer({ min: 0, max: 10 }) }),
  fc.record({ scale: fc.constant("ces" as const), value: fc.integer({ min: 1, max: 7 }) })
)

export const arbitraryTouchpointWire: fc.Arbitrary<TouchpointWire> = event("xp.touchpoint.v1", arbitraryTouchpointData)
export const arbitraryExpectationWire: fc.Arbitrary<ExpectationWire> = event(
  "xp.expectation.v1",
  arbitraryExpectationData
)
export const arbitraryIssueOpenedWire: fc.Arbitrary<IssueOpenedWire> = event(
  "xp.issue.opened.v1",
  arbitraryIssueOpenedData
)
export const arbitraryIssueResolvedWire: fc.Arbitrary<IssueResolvedWire> = event(
  "xp.issue.resolved.v1",
  arbitraryIssueResolvedData
)
export const arbitrarySurveyWire: fc.Arbitrary<SurveyWire> = event("xp.survey.v1", arbitrarySurveyData)

export const arbitraryWireByKind: { readonly [K in XpEventKind]: fc.Arbitrary<XpEventWire> } = {
  touchpoint: arbitraryTouchpointWire,
  expectation: arbitraryExpectationWire,
  "issue.opened": arbitraryIssueOpenedWire,
  "issue.resolved": arbitraryIssueResolvedWire,
  survey: arbitrarySurveyWire
}

/** Any valid event of the current catalogue, in wire form (every optional attribute sometimes present). */
export const arbitraryWireEvent: fc.Arbitrary<XpEventWire> = fc.oneof(...Object.values(arbitraryWireByKind))

/** Any valid event, decoded (what the scorer folds). */
export const arbitraryXpEvent: fc.Arbitrary<XpEvent> = arbitraryWireEvent.map((wire) =>
  decodeEventOrThrow(currentRegistry, wire)
)
