import type { DecodedEvent } from "./eventVersion.ts"

/** The JSON object a producer sends (CloudEvents structured mode). */
export type WireObject = { readonly [attribute: string]: unknown }

const optionalAttributes = ["datacontenttype", "dataschema", "channel", "segment", "traceparent", "tracestate"] as const

/**
 * The wire form of a decoded event: its CloudEvents attributes in a fixed
 * order, without `kind` and `timeMs` (both derived). For an event of the
 * current version, `decode(encode(e))` equals `e` and
 * `encode(decode(json))` equals `json` as JSON values.
 */
export const encodeEvent = (event: DecodedEvent<string, unknown>): WireObject => {
  const wire: Record<string, unknown> = {
    specversion: event.specversion,
    id: event.id,
    source: event.source,
    type: event.type,
    subject: event.subject,
    time: event.time
  }
  for (const attribute of optionalAttributes) {
    const value = event[attribute]
    if (value !== undefined) wire[attribute] = value
  }
  wire.data = event.data
  return wire
}

/** {@link encodeEvent} as JSON text. */
export const encodeEventJson = (event: DecodedEvent<string, unknown>): string => JSON.stringify(encodeEvent(event))
