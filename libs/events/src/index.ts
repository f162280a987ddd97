/**
 * @xpscore/events: the event contract.
 *
 * Envelope: CloudEvents 1.0, structured JSON mode; `subject` is the customer
 * id and the Kafka key, (`source`, `id`) the dedup identity. Types:
 * `xp.touchpoint.v1`, `xp.expectation.v1`, `xp.issue.opened.v1`,
 * `xp.issue.resolved.v1`, `xp.survey.v1` (docs/producers.md, JSON Schemas in
 * docs/schemas/).
 *
 * Reading events
 * - `decodeEvent(registry, bytes | string)` → `Result<XpEvent, EventRejected>`;
 *   `decodeEventValue` for parsed JSON; `decodeEventOrThrow` for fixtures.
 * - `EventRejected { path, rule, detail }`; `RejectionRule` lists the rules.
 * - `XpEvent`: discriminated by `kind`, with `timeMs` beside `time`.
 * - `EventDecoder`: the Effect service (`layer`: current registry,
 *   `layerFor(registry)`: an extended one).
 *
 * Writing events
 * - `encodeEvent` / `encodeEventJson`: back to the wire form.
 *
 * Versions
 * - `currentRegistry`, `makeRegistry`, `withVersion(registry, version, upcast)`,
 *   `defineEventVersion`; the catalogue's versions (`touchpointV1`, …).
 *
 * Dead letters
 * - `deadLetterHeaderNames`, `deadLetterHeaders(info)`, `readDeadLetter(headers)`:
 *   the headers a dead letter carries (reason, step, source coordinates,
 *   consumer group, time), written by the scorer, read by the CLI;
 *   `deadLetterTruncationHeaderNames`: what a letter too large for the
 *   dead-letter topic had to cut.
 *
 * JSON Schema
 * - `eventJsonSchemas(registry)`: one document per type and version, plus the
 *   union of all (`xp.event.schema.json`).
 *
 * Test data: `@xpscore/events/testing` (fast-check arbitraries, invalid
 * samples per rule, multi-customer journeys, a real `xp.touchpoint.v2`).
 */
export {
  catalogueV1,
  expectationV1,
  issueOpenedV1,
  issueResolvedV1,
  surveyV1,
  touchpointV1
} from "./catalogue.ts"
export {
  DEAD_LETTER_HEADER_PREFIX,
  type DeadLetterInfo,
  type DeadLetterReason,
  DeadLetterRule,
  type DeadLetterSource,
  DeadLetterStep,
  type DeadLetterTruncation,
  DeadLetterUnreadable,
  deadLetterHeaderNames,
  deadLetterHeaders,
  deadLetterTruncationHeaderNames,
  formatDeadLetterReason,
  isDeadLetterHeader,
  keyMismatch,
  readDeadLetter
} from "./deadLetter.ts"
export { type DecodeResult, decodeEvent, decodeEventOrThrow, decodeEventValue, type RawEvent } from "./decode.ts"
export { EventDecoder } from "./EventDecoder.ts"
export { encodeEvent, encodeEventJson, type WireObject } from "./encode.ts"
export {
  CLOUDEVENTS_CONTENT_TYPE,
  DATA_CONTENT_TYPE,
  Envelope,
  type EnvelopeAttributes,
  MAX_EVENT_BYTES,
  SPEC_VERSION
} from "./envelope.ts"
export {
  type DecodedEvent,
  type DecodedEventOf,
  defineEventVersion,
  type EventVersion,
  eventTypeName,
  parseEventTypeName
} from "./eventVersion.ts"
export { CustomerId, DimensionId, EventId, EventSource, IssueId, Token } from "./ids.ts"
export { eventJsonSchemas, type JsonSchemaFile, jsonSchemaFileText } from "./jsonSchema.ts"
export {
  ExpectationData,
  IssueOpenedData,
  IssueResolvedData,
  SurveyData,
  type SurveyScale,
  TouchpointAspect,
  TouchpointData
} from "./payloads.ts"
export {
  currentRegistry,
  type EventRegistry,
  makeRegistry,
  withVersion,
  type XpEvent,
  type XpEventKind,
  type XpEventOfKind
} from "./registry.ts"
export { EventRejected, formatPath } from "./rejection.ts"
export { RejectionRule, rejectionRules } from "./rules.ts"
export * from "./scoreRecord.ts"
export {
  EARLIEST_EVENT_TIME,
  earliestEventTimeMs,
  formatTimestamp,
  LATEST_EVENT_TIME_EXCLUSIVE,
  latestEventTimeExclusiveMs,
  parseTimestamp,
  Timestamp
} from "./timestamp.ts"
