import { Schema } from "effect"
import { boundedText, CustomerId, EventId, EventSource, Token } from "./ids.ts"
import { ruleOf } from "./rules.ts"
import { Timestamp } from "./timestamp.ts"

/** The largest record xpscore accepts, in bytes of UTF-8 JSON. */
export const MAX_EVENT_BYTES = 64 * 1024

/** Kafka `content-type` header of every interaction record (CloudEvents structured mode, JSON). */
export const CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"

export const SPEC_VERSION = "1.0"
export const DATA_CONTENT_TYPE = "application/json"

const describe = <S extends Schema.Top>(schema: S, description: string) => schema.annotate({ description }) as S

/**
 * The CloudEvents 1.0 attributes of every xpscore event except `type` and
 * `data`, which each event type defines. Attributes not listed here are
 * rejected (`unknown-field`): a misspelt optional attribute (`chanel`) would
 * otherwise vanish silently from every BI rollup. CloudEvents extensions
 * become part of the contract by being added here; the W3C trace context
 * extension (`traceparent`, `tracestate`) already is, and is carried through
 * unchanged.
 */
export const envelopeFields = {
  specversion: describe(Schema.Literal(SPEC_VERSION), "CloudEvents version: always 1.0"),
  id: describe(
    EventId,
    "Event id, unique per source; (source, id) identifies an event, and a re-sent event counts once"
  ),
  source: describe(EventSource, "The producing service, e.g. checkout or /support/desk"),
  subject: describe(CustomerId, "The customer the event is about; also the Kafka record key"),
  time: describe(
    Timestamp,
    "When the interaction happened: RFC 3339 UTC with milliseconds, from 2000-01-01 up to (excluding) 2100-01-01"
  ),
  datacontenttype: Schema.optionalKey(
    describe(Schema.Literal(DATA_CONTENT_TYPE), "Media type of data; when present, application/json")
  ),
  dataschema: Schema.optionalKey(
    describe(
      boundedText(1, 2048).check(
        Schema.isPattern(/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/u, ruleOf("pattern", "an absolute URI"))
      ),
      "Absolute URI of the schema data adheres to"
    )
  ),
  channel: Schema.optionalKey(
    describe(Token, "CloudEvents extension: where the interaction happened (web, app, phone, email, store, …)")
  ),
  segment: Schema.optionalKey(describe(Token, "CloudEvents extension: the customer's segment, for BI rollups")),
  traceparent: Schema.optionalKey(
    describe(
      Schema.String.check(
        Schema.isPattern(
          /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/u,
          ruleOf("pattern", "a W3C traceparent, e.g. 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
        )
      ),
      "CloudEvents distributed tracing extension: W3C traceparent"
    )
  ),
  tracestate: Schema.optionalKey(
    describe(boundedText(0, 512), "CloudEvents distributed tracing extension: W3C tracestate")
  )
} as const

/** The envelope attributes as a schema of their own (documentation, types). */
export const Envelope = Schema.Struct(envelopeFields)
export type EnvelopeAttributes = typeof Envelope.Type
