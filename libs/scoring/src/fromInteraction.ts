import type { XpEvent } from "@xpscore/events"
import type { ModelEvent } from "./modelEvent.ts"

/**
 * Every model event in one object shape, whatever its kind: the fold reads
 * `kind`, `t`, `id`, `source` and the payload of millions of events, and V8
 * reads fields of one shape far faster than of five (a megamorphic access is
 * a hash lookup). Fields a kind does not have are undefined.
 */
const record = (
  kind: ModelEvent["kind"],
  id: string,
  source: string,
  t: number,
  quality: number | undefined,
  aspect: string | undefined,
  dimension: string | undefined,
  expected: number | undefined,
  actual: number | undefined,
  negotiated: boolean | undefined,
  issueId: string | undefined,
  severity: number | undefined,
  withinSla: boolean | undefined,
  scale: string | undefined,
  value: number | undefined
): ModelEvent =>
  ({
    kind,
    id,
    source,
    t,
    quality,
    aspect,
    dimension,
    expected,
    actual,
    negotiated,
    issueId,
    severity,
    withinSla,
    scale,
    value
  }) as ModelEvent

/** A copy of `event` in the one shape `fromInteraction` produces (for events built elsewhere, e.g. from JSON). */
export const uniformEvent = (event: ModelEvent): ModelEvent => {
  const e = event as Partial<Record<string, unknown>> & ModelEvent
  return record(
    event.kind,
    event.id,
    event.source,
    event.t,
    e.quality as number | undefined,
    e.aspect as string | undefined,
    e.dimension as string | undefined,
    e.expected as number | undefined,
    e.actual as number | undefined,
    e.negotiated as boolean | undefined,
    e.issueId as string | undefined,
    e.severity as number | undefined,
    e.withinSla as boolean | undefined,
    e.scale as string | undefined,
    e.value as number | undefined
  )
}

const u = undefined

/**
 * The model's view of a decoded interaction event (`@xpscore/events`): the
 * identity, the event time in epoch ms and the payload the formulas read.
 * The customer (`subject`) is not part of it: a state is one customer's.
 * Only the type is imported, so the model stays free of Effect at run time.
 */
export const fromInteraction = (event: XpEvent): ModelEvent => {
  const { id, source, timeMs: t } = event
  switch (event.kind) {
    case "touchpoint":
      return record("touchpoint", id, source, t, event.data.quality, event.data.aspect, u, u, u, u, u, u, u, u, u)
    case "expectation": {
      const d = event.data
      return record(
        "expectation",
        id,
        source,
        t,
        u,
        u,
        d.dimension,
        d.expected,
        d.actual,
        d.negotiated ?? false,
        u,
        u,
        u,
        u,
        u
      )
    }
    case "issue.opened":
      return record("issueOpened", id, source, t, u, u, u, u, u, u, event.data.issueId, event.data.severity, u, u, u)
    case "issue.resolved": {
      const d = event.data
      return record("issueResolved", id, source, t, d.quality, u, u, u, u, u, d.issueId, u, d.withinSla, u, u)
    }
    case "survey":
      return record("survey", id, source, t, u, u, u, u, u, u, u, u, u, event.data.scale, event.data.value)
  }
}
