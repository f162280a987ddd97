import { CLOUDEVENTS_CONTENT_TYPE, decodeEvent, type EventRegistry, EventRejected, type XpEvent } from "@xpscore/events"
import { Result } from "effect"

/** What goes on the interactions topic for one event. */
export interface InteractionRecord {
  /** the customer id (CloudEvents `subject`), UTF-8: one customer, one partition */
  readonly key: string
  /** the event's JSON exactly as validated */
  readonly value: string | Uint8Array
  readonly headers: { readonly "content-type": typeof CLOUDEVENTS_CONTENT_TYPE }
}

const headers = { "content-type": CLOUDEVENTS_CONTENT_TYPE } as const

/**
 * Validates an event as the scorer will (same registry, same decoder) and
 * makes the record for it. An event object is sent as its JSON; text and
 * bytes are sent unchanged, so what the scorer reads is exactly what was
 * checked here.
 */
export const prepareInteraction = (
  registry: EventRegistry<XpEvent>,
  event: unknown
): Result.Result<{ readonly record: InteractionRecord; readonly event: XpEvent }, EventRejected> => {
  let value: string | Uint8Array
  if (typeof event === "string" || event instanceof Uint8Array) value = event
  else {
    let text: string | undefined
    try {
      text = JSON.stringify(event)
    } catch (error) {
      return Result.fail(
        new EventRejected({ path: "$", rule: "json", detail: `cannot be written as JSON: ${(error as Error).message}` })
      )
    }
    if (text === undefined) {
      return Result.fail(
        new EventRejected({ path: "$", rule: "type", detail: `expected an event object, got ${typeof event}` })
      )
    }
    value = text
  }
  const decoded = decodeEvent(registry, value)
  if (Result.isFailure(decoded)) return Result.fail(decoded.failure)
  return Result.succeed({ record: { key: decoded.success.subject, value, headers }, event: decoded.success })
}
