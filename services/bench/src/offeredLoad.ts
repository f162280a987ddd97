import type { Message, Producer } from "kafkajs"
import { type BenchRecords, messageAt } from "./benchInput.ts"
import type { LatencyPhase } from "./benchPlan.ts"
import { sleep } from "./groupProgress.ts"
import type { ProbeTracker } from "./latencyProbes.ts"

/** Probes per second at most; at low rates one record in twenty is a probe. */
const MAX_PROBES_PER_SECOND = 50
const MAX_REQUEST_RECORDS = 2_000

export interface OfferedResult {
  /** input records sent (probes not included) */
  readonly records: number
  readonly probes: number
  /** what was actually offered: records and probes over the phase's wall time */
  readonly achievedRate: number
}

/**
 * Sends the input from `from` at `phase.rate` records per second for
 * `phase.seconds`, probes included in the rate: every few milliseconds
 * whatever is due goes out in one produce request (a producer that cannot
 * keep up sends larger requests, and the achieved rate says so).
 */
export const offerLoad = async (
  producer: Producer,
  topic: string,
  records: BenchRecords,
  from: number,
  phase: LatencyPhase,
  probes: ProbeTracker
): Promise<OfferedResult> => {
  const total = Math.ceil(phase.rate * phase.seconds)
  const probeEvery = Math.max(1, Math.round(phase.rate / Math.min(MAX_PROBES_PER_SECOND, phase.rate / 20)))
  const startedAt = performance.now()
  let sent = 0
  let cursor = from
  let probeCount = 0
  while (sent < total) {
    // one request carries at most MAX_REQUEST_RECORDS: a producer that fell behind must not build a request
    // above the broker's message.max.bytes
    const due = Math.min(
      total,
      sent + MAX_REQUEST_RECORDS,
      Math.floor((phase.rate * (performance.now() - startedAt)) / 1000)
    )
    if (due > sent) {
      const messages: Array<Message> = []
      const probeIds: Array<string> = []
      for (; sent < due; sent++) {
        if (sent % probeEvery === 0) {
          const probe = probes.next()
          probeIds.push(probe.id)
          messages.push(probe.message)
        } else {
          if (cursor >= records.count) throw new Error(`the input ran out at record ${cursor}`)
          messages.push(messageAt(records, cursor++))
        }
      }
      probes.sent(probeIds, performance.now())
      probeCount += probeIds.length
      await producer.send({ topic, messages, acks: 1 })
    } else {
      await sleep(5)
    }
  }
  return {
    records: cursor - from,
    probes: probeCount,
    achievedRate: total / ((performance.now() - startedAt) / 1000)
  }
}
