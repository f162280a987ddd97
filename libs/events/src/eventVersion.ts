import { Schema } from "effect"
import { type EnvelopeAttributes, envelopeFields } from "./envelope.ts"

/**
 * An event as the scorer reads it: the CloudEvents attributes as on the wire
 * (with `type` naming the version `data` is in), plus
 * - `kind`, the version-free discriminant (`touchpoint`, `issue.opened`, …),
 * - `timeMs`, the event time in epoch milliseconds.
 */
export type DecodedEvent<K extends string, D> = EnvelopeAttributes & {
  readonly kind: K
  readonly type: string
  readonly timeMs: number
  readonly data: D
}

/** The wire form (CloudEvents structured JSON) of an event whose `data` encodes as `DE`. */
export type WireEvent<DE> = typeof Envelope.Encoded & { readonly type: string; readonly data: DE }
const Envelope = Schema.Struct(envelopeFields)

/** `xp.<kind>.v<version>` */
export const eventTypeName = (kind: string, version: number) => `xp.${kind}.v${version}`

/** Reads `xp.<kind>.v<version>`; `undefined` when the text does not have that shape. */
export const parseEventTypeName = (type: string): { readonly kind: string; readonly version: number } | undefined => {
  const match = /^xp\.([a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)*)\.v([1-9][0-9]{0,5})$/.exec(type)
  return match === null ? undefined : { kind: match[1]!, version: Number(match[2]) }
}

/**
 * One version of one event type: its name, the schema of its `data` and the
 * schema of the whole CloudEvent (what the decoder checks, what the JSON
 * Schema documents).
 */
export const defineEventVersion = <const K extends string, const V extends number, D extends Schema.Top>(options: {
  readonly kind: K
  readonly version: V
  readonly data: D
  readonly description: string
}) => {
  const type = eventTypeName(options.kind, options.version) as `xp.${K}.v${V}`
  const schema = Schema.Struct({
    ...envelopeFields,
    type: Schema.Literal(type).annotate({ description: "The event type and version" }),
    data: options.data
  }).annotate({ identifier: type, title: type, description: options.description })
  return {
    kind: options.kind,
    version: options.version,
    type,
    data: options.data,
    schema,
    description: options.description
  }
}

export type EventVersion<K extends string = string, D extends Schema.Top = Schema.Top> = {
  readonly kind: K
  readonly version: number
  readonly type: string
  readonly data: D
  readonly schema: Schema.Top
  readonly description: string
}

/** The decoded event of a version. */
export type DecodedEventOf<V extends EventVersion> =
  V extends EventVersion<infer K, infer D> ? DecodedEvent<K, D["Type"]> : never
