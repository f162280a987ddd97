import { Result } from "effect"
import { MAX_EVENT_BYTES } from "./envelope.ts"
import { parseEventTypeName } from "./eventVersion.ts"
import { escapeControlCharacters } from "./ids.ts"
import type { EventRegistry, XpEvent } from "./registry.ts"
import { EventRejected, rejectionFromIssue, rejectWhole } from "./rejection.ts"
import { parseTimestamp } from "./timestamp.ts"

/** A Kafka record value, a line of a file, a request body. */
export type RawEvent = Uint8Array | string

export type DecodeResult<E = XpEvent> = Result.Result<E, EventRejected>

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })

/** Strings at most this long cannot exceed the byte limit (a UTF-16 unit is at most 3 UTF-8 bytes). */
const SAFE_STRING_LENGTH = Math.floor(MAX_EVENT_BYTES / 3)

/**
 * Decodes a raw record into the current version of its event, or says why it
 * is not a valid event. Pure and synchronous: the same bytes always give the
 * same answer, which is what lets dead letters be re-driven and streams be
 * replayed.
 *
 * Checked in this order, the first failure wins: size (64 KiB), UTF-8, JSON,
 * an object, `type` (known type, known version), then every attribute and
 * `data` field of that version's schema.
 */
export const decodeEvent = <E = XpEvent>(registry: EventRegistry<E>, raw: RawEvent): DecodeResult<E> => {
  let text: string
  if (typeof raw === "string") {
    if (raw.length > SAFE_STRING_LENGTH && Buffer.byteLength(raw, "utf8") > MAX_EVENT_BYTES) {
      return Result.fail(rejectWhole("size", `the record is larger than ${MAX_EVENT_BYTES} bytes`))
    }
    text = raw
  } else {
    if (raw.byteLength > MAX_EVENT_BYTES) {
      return Result.fail(rejectWhole("size", `the record has ${raw.byteLength} bytes; the limit is ${MAX_EVENT_BYTES}`))
    }
    try {
      text = utf8.decode(raw)
    } catch {
      return Result.fail(rejectWhole("utf8", "the bytes are not valid UTF-8"))
    }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    return Result.fail(
      rejectWhole("json", `not JSON: ${escapeControlCharacters((error as Error).message).slice(0, 160)}`)
    )
  }
  return decodeEventValue(registry, value)
}

/** {@link decodeEvent} for a value already parsed from JSON. */
export const decodeEventValue = <E = XpEvent>(registry: EventRegistry<E>, value: unknown): DecodeResult<E> => {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return Result.fail(
      rejectWhole(
        "type",
        `expected a JSON object (a CloudEvent), got ${value === null ? "null" : Array.isArray(value) ? "an array" : typeof value}`
      )
    )
  }
  const type = (value as { readonly type?: unknown }).type
  if (type === undefined)
    return Result.fail(new EventRejected({ path: "type", rule: "required", detail: "is required" }))
  if (typeof type !== "string") {
    return Result.fail(
      new EventRejected({ path: "type", rule: "type", detail: "expected a string, like xp.touchpoint.v1" })
    )
  }
  const resolution = registry.resolve(type)
  if (resolution === undefined) return Result.fail(unknownType(registry, type))
  const decoded = resolution.decodeWire(value)
  if (Result.isFailure(decoded)) return Result.fail(rejectionFromIssue(decoded.failure, value))
  const wire = decoded.success
  return Result.succeed({
    kind: resolution.current.kind,
    ...wire,
    type: resolution.current.type,
    timeMs: parseTimestamp(wire.time)!,
    data: resolution.upcast === undefined ? wire.data : resolution.upcast(wire.data)
  } as E)
}

const unknownType = (registry: EventRegistry<unknown>, type: string) => {
  const parsed = parseEventTypeName(type)
  const known = registry.current.map((version) => version.type).join(", ")
  const shown = JSON.stringify(type.length > 80 ? `${type.slice(0, 79)}…` : type)
  if (parsed !== undefined && registry.knowsKind(parsed.kind)) {
    const versions = registry.versions.filter((version) => version.kind === parsed.kind).map((v) => v.type)
    return new EventRejected({
      path: "type",
      rule: "unknown-version",
      detail: `${shown} is a version this reader does not know; it reads ${versions.join(", ")}`
    })
  }
  return new EventRejected({
    path: "type",
    rule: "unknown-type",
    detail: `${shown} is not an xpscore event type; known: ${known}`
  })
}

/** {@link decodeEvent} that throws the rejection: for tests and fixtures whose input is known to be valid. */
export const decodeEventOrThrow = <E = XpEvent>(registry: EventRegistry<E>, raw: RawEvent | object): E => {
  const result =
    typeof raw === "string" || raw instanceof Uint8Array ? decodeEvent(registry, raw) : decodeEventValue(registry, raw)
  if (Result.isFailure(result)) throw result.failure
  return result.success
}
