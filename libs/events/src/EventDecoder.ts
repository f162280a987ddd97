import { Context, Layer } from "effect"
import { type DecodeResult, decodeEvent, decodeEventValue, type RawEvent } from "./decode.ts"
import { currentRegistry, type EventRegistry, type XpEvent } from "./registry.ts"

/**
 * The event decoder a service runs with: the current registry by default,
 * an extended one (a newer version of some type) with `layerFor`. Decoding
 * itself is pure and synchronous, so the hot path calls `decode` without
 * building an Effect per record.
 */
export class EventDecoder extends Context.Service<
  EventDecoder,
  {
    readonly registry: EventRegistry<XpEvent>
    /** a raw record (bytes or text) into the current version of its event, or the rejection */
    readonly decode: (raw: RawEvent) => DecodeResult<XpEvent>
    /** the same for a value already parsed from JSON */
    readonly decodeValue: (value: unknown) => DecodeResult<XpEvent>
  }
>()("@xpscore/events/EventDecoder") {
  static readonly make = (registry: EventRegistry<XpEvent>) =>
    EventDecoder.of({
      registry,
      decode: (raw) => decodeEvent(registry, raw),
      decodeValue: (value) => decodeEventValue(registry, value)
    })

  static readonly layerFor = (registry: EventRegistry<XpEvent>) =>
    Layer.succeed(EventDecoder, EventDecoder.make(registry))

  /** The current catalogue. */
  static readonly layer = EventDecoder.layerFor(currentRegistry)
}
