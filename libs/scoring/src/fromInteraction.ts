import type { XpEvent } from "@xpscore/events"
import type { ModelEvent } from "./modelEvent.ts"

/**
 * The model's view of a decoded interaction event (`@xpscore/events`): the
 * identity, the event time in epoch ms and the payload the formulas read.
 * The customer (`subject`) is not part of it: a state is one customer's.
 * Only the type is imported, so the model stays free of Effect at run time.
 */
export const fromInteraction = (event: XpEvent): ModelEvent => {
  const identity = { id: event.id, source: event.source, t: event.timeMs }
  switch (event.kind) {
    case "touchpoint":
      return event.data.aspect === undefined
        ? { ...identity, kind: "touchpoint", quality: event.data.quality }
        : { ...identity, kind: "touchpoint", quality: event.data.quality, aspect: event.data.aspect }
    case "expectation":
      return {
        ...identity,
        kind: "expectation",
        dimension: event.data.dimension,
        expected: event.data.expected,
        actual: event.data.actual,
        negotiated: event.data.negotiated ?? false
      }
    case "issue.opened":
      return { ...identity, kind: "issueOpened", issueId: event.data.issueId, severity: event.data.severity }
    case "issue.resolved":
      return {
        ...identity,
        kind: "issueResolved",
        issueId: event.data.issueId,
        quality: event.data.quality,
        withinSla: event.data.withinSla
      }
    case "survey":
      return { ...identity, kind: "survey", scale: event.data.scale, value: event.data.value }
  }
}
