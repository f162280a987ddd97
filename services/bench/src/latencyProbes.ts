import { biViews, ClickHouse, sqlQualified, sqlString } from "@xpscore/clickhouse"
import { Effect } from "effect"
import type { Message } from "kafkajs"

/**
 * End-to-end latency is measured on probes: events of customers of their
 * own (`bench-probe-…`, one event each), mixed into the offered load. A
 * probe's clock starts just before the produce request that carries it and
 * stops at the first poll of the current-score view (`v_current_scores`)
 * that returns its customer: event produced → row visible to BI, through
 * scorer, scores topic, projector and ClickHouse. The poll runs every
 * `POLL_MS`, so a latency is resolved to about that.
 */
export const POLL_MS = 100

export interface ProbeTracker {
  /** a probe record to send now; its clock starts when {@link ProbeTracker.sent} is called */
  readonly next: () => { readonly id: string; readonly message: Message }
  readonly sent: (ids: ReadonlyArray<string>, atMs: number) => void
  /** probes sent and not seen yet */
  readonly pending: () => number
  /** latencies (ms) of the probes seen, by the label they were sent under */
  readonly latencies: (label: string) => ReadonlyArray<number>
  /** the label later probes are counted under */
  label: string
  /** polls the view once; marks the probes found */
  readonly poll: Effect.Effect<void, unknown, ClickHouse>
}

/** A valid event of the input (a template) re-addressed to a probe customer and stamped now. */
const probeValue = (template: Record<string, unknown>, customerId: string, eventId: string) =>
  JSON.stringify({ ...template, id: eventId, subject: customerId, time: new Date().toISOString() })

export const makeProbeTracker = (options: { database: string; template: string; runId: string }): ProbeTracker => {
  const template = JSON.parse(options.template) as Record<string, unknown>
  const sentAt = new Map<string, { atMs: number; label: string }>()
  const waiting = new Set<string>()
  const seen = new Map<string, Array<number>>()
  const view = sqlQualified(options.database, biViews.currentScores)
  let count = 0
  const tracker: ProbeTracker = {
    label: "",
    next: () => {
      count++
      const id = `bench-probe-${options.runId}-${count}`
      return {
        id,
        message: { key: id, value: probeValue(template, id, `${id}-event`) }
      }
    },
    sent: (ids, atMs) => {
      for (const id of ids) {
        sentAt.set(id, { atMs, label: tracker.label })
        waiting.add(id)
      }
    },
    pending: () => waiting.size,
    latencies: (label) => seen.get(label) ?? [],
    poll: Effect.gen(function* () {
      if (waiting.size === 0) return
      const clickhouse = yield* ClickHouse
      const ids = [...waiting]
      const issuedAt = performance.now()
      for (let from = 0; from < ids.length; from += 500) {
        const list = ids
          .slice(from, from + 500)
          .map((id) => sqlString(id))
          .join(",")
        const rows = yield* clickhouse.query<{ customer_id: string }>(
          `SELECT customer_id FROM ${view} WHERE customer_id IN (${list})`
        )
        for (const row of rows) {
          const sent = sentAt.get(row.customer_id)
          if (sent === undefined || !waiting.delete(row.customer_id)) continue
          const list = seen.get(sent.label) ?? []
          list.push(issuedAt - sent.atMs)
          seen.set(sent.label, list)
        }
      }
    })
  }
  return tracker
}

/** The q-quantile (0–1) of some values, nearest rank. */
export const quantile = (values: ReadonlyArray<number>, q: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}
