import { type Result, type Schema, type SchemaIssue, SchemaParser } from "effect"
import * as SchemaJITCompiler from "effect/schema/SchemaJITCompiler"
import { catalogueV1 } from "./catalogue.ts"
import type { DecodedEventOf, EventVersion } from "./eventVersion.ts"
import { compileUnknownFieldCheck } from "./unknownFields.ts"

/** Every event type xpscore reads, in its current version: the union the scorer folds. */
export type XpEvent = DecodedEventOf<(typeof catalogueV1)[number]>
export type XpEventKind = XpEvent["kind"]
export type XpEventOfKind<K extends XpEventKind> = Extract<XpEvent, { readonly kind: K }>

/** How the decoder reads one wire type: checked against its own schema, then upcast to the current version. */
export interface Resolution {
  readonly version: EventVersion
  readonly current: EventVersion
  /** compiled once per registry: the whole CloudEvent of `version`, unknown fields rejected */
  readonly decodeWire: (input: unknown) => Result.Result<WireShape, SchemaIssue.Issue>
  /** `data` of `version` into `data` of `current`; `undefined` when `version` is current */
  readonly upcast: ((data: unknown) => unknown) | undefined
}

/** The wire attributes as the per-version schema returns them. */
export type WireShape = { readonly type: string; readonly time: string; readonly data: unknown } & Record<
  string,
  unknown
>

const TypeId = "~@xpscore/events/EventRegistry"

/**
 * The event types and versions a decoder knows, with the upcasters that read
 * old versions as the current one. `E` is what decoding yields: the current
 * version of every kind.
 *
 * A scorer is given a registry (see `EventDecoder`), so that a newer
 * deployment can read versions an older one dead-lettered as
 * `unknown-version`, and re-drive them.
 */
export interface EventRegistry<out E = XpEvent> {
  readonly [TypeId]: (_: never) => E
  /** every version read, grouped by kind, oldest first */
  readonly versions: ReadonlyArray<EventVersion>
  /** the version each kind decodes into */
  readonly current: ReadonlyArray<EventVersion>
  /** how a wire `type` is read; `undefined` when the registry does not know it */
  readonly resolve: (type: string) => Resolution | undefined
  /** whether any version of `kind` is known (tells `unknown-version` from `unknown-type`) */
  readonly knowsKind: (kind: string) => boolean
}

/**
 * Decoders run JIT-compiled: Effect generates a validator for the exact
 * schema and falls back to the interpreter for the detailed issue whenever
 * the fast path says "invalid", so rejections are the interpreter's (the
 * suite checks that both paths agree on every rejection sample). Unknown
 * fields are found by a compiled predicate first (see unknownFields.ts).
 */
const compile = (version: EventVersion): Resolution["decodeWire"] => {
  SchemaJITCompiler.enable(version.schema.ast)
  const schema = version.schema as Schema.Codec<WireShape, unknown>
  const strict = SchemaParser.decodeUnknownResult(schema, { onExcessProperty: "error" })
  const noUnknownFields = compileUnknownFieldCheck(version.schema.ast)
  if (noUnknownFields === undefined) return strict
  const known = SchemaParser.decodeUnknownResult(schema)
  return (input) => (noUnknownFields(input) ? known(input) : strict(input))
}

const build = <E>(entries: ReadonlyArray<{ version: EventVersion; upcastToCurrent: Resolution["upcast"] }>) => {
  const current = new Map<string, EventVersion>()
  for (const { version } of entries) {
    const known = current.get(version.kind)
    if (known === undefined || version.version > known.version) current.set(version.kind, version)
  }
  const resolutions = new Map<string, Resolution>()
  for (const { version, upcastToCurrent } of entries) {
    resolutions.set(version.type, {
      version,
      current: current.get(version.kind)!,
      decodeWire: compile(version),
      upcast: upcastToCurrent
    })
  }
  const versions = [...entries.map((entry) => entry.version)].sort(
    (a, b) => a.kind.localeCompare(b.kind) || a.version - b.version
  )
  const registry: EventRegistry<E> = {
    [TypeId]: undefined as unknown as (_: never) => E,
    versions,
    current: [...current.values()],
    resolve: (type) => resolutions.get(type),
    knowsKind: (kind) => current.has(kind)
  }
  return registry
}

/** A registry of one version per kind (each of them current). */
export const makeRegistry = <const Versions extends ReadonlyArray<EventVersion>>(
  versions: Versions
): EventRegistry<DecodedEventOf<Versions[number]>> => {
  const kinds = new Set<string>()
  for (const version of versions) {
    if (kinds.has(version.kind))
      throw new Error(`makeRegistry: ${version.kind} is listed twice; add versions with withVersion`)
    kinds.add(version.kind)
  }
  return build(versions.map((version) => ({ version, upcastToCurrent: undefined })))
}

/**
 * `registry` with a newer version of one kind, which becomes the version that
 * kind decodes into. `upcast` turns `data` of the previous current version
 * into `data` of `version`; older versions are read through the whole chain.
 */
export const withVersion = <E extends { readonly kind: string; readonly data: unknown }, V extends EventVersion>(
  registry: EventRegistry<E>,
  version: V & EventVersion<E["kind"]>,
  upcast: (previous: Extract<E, { readonly kind: V["kind"] }>["data"]) => V["data"]["Type"]
): EventRegistry<Exclude<E, { readonly kind: V["kind"] }> | DecodedEventOf<V>> => {
  const previous = registry.current.find((known) => known.kind === version.kind)
  if (previous === undefined) throw new Error(`withVersion: the registry has no ${version.kind} to upcast from`)
  if (version.version !== previous.version + 1) {
    throw new Error(`withVersion: ${version.type} must follow ${previous.type} directly`)
  }
  const up = upcast as (data: unknown) => unknown
  const entries = registry.versions.map((known) => {
    const resolution = registry.resolve(known.type)!
    if (known.kind !== version.kind) return { version: known, upcastToCurrent: resolution.upcast }
    const before = resolution.upcast
    return {
      version: known,
      upcastToCurrent: before === undefined ? up : (data: unknown) => up(before(data))
    }
  })
  return build([...entries, { version, upcastToCurrent: undefined }])
}

/** The registry of the current catalogue (catalogue.ts): what xpscore reads today. */
export const currentRegistry: EventRegistry<XpEvent> = makeRegistry(catalogueV1)
