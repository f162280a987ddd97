import { createHash } from "node:crypto"
import { CLOUDEVENTS_CONTENT_TYPE } from "@xpscore/events"
import { recordBytes, type SimulationOptions, simulationRecords, withSimulationDefaults } from "@xpscore/simulator"
import type { Expectation } from "./verdict.ts"

/** A record a scenario publishes, and what it must become. */
export interface PlannedRecord {
  /** the Kafka key; null sends a record without one */
  readonly key: string | null
  readonly value: Uint8Array
  readonly headers?: Readonly<Record<string, string>>
  readonly expectation: Expectation
  /** what the simulator made it: a first send, a producer's re-send, or a broken record; and how late it arrives */
  readonly simulated?: { readonly kind: "event" | "duplicate" | "invalid"; readonly lateByMs: number }
}

const digest = (bytes: Uint8Array) => createHash("sha1").update(bytes).digest("base64")

/** Records are recognised again when read back by hashes of their key and value bytes. */
export const recordIdentity = (key: Uint8Array | string | null, value: Uint8Array | null) =>
  `${key === null ? "-" : digest(typeof key === "string" ? Buffer.from(key, "utf8") : key)}/${value === null ? "-" : digest(value)}`

/** The event window every scenario simulates: fixed, so the streams are the same on every run. */
export const SIMULATION_START_MS = Date.UTC(2025, 0, 1)

/** A simulated multi-customer stream (fixed seed and start), in arrival order. */
export const simulatedStream = (options: Partial<SimulationOptions>): Array<PlannedRecord> => {
  const complete = withSimulationDefaults({ startMs: SIMULATION_START_MS, ...options })
  const planned: Array<PlannedRecord> = []
  for (const record of simulationRecords(complete)) {
    planned.push({
      key: record.customerId,
      value: recordBytes(record),
      headers: { "content-type": CLOUDEVENTS_CONTENT_TYPE },
      expectation:
        record.kind === "invalid"
          ? { kind: "invalid", rule: record.rule, path: record.path, what: `a simulated ${record.invalidKind} record` }
          : { kind: "valid" },
      simulated: { kind: record.kind, lateByMs: record.kind === "event" ? record.lateByMs : 0 }
    })
  }
  return planned
}

/** Puts `extra` records into `stream`, spread evenly (deterministically) between its records. */
export const interleave = (
  stream: ReadonlyArray<PlannedRecord>,
  extra: ReadonlyArray<PlannedRecord>
): Array<PlannedRecord> => {
  const out: Array<PlannedRecord> = []
  const every = extra.length === 0 ? Number.POSITIVE_INFINITY : stream.length / extra.length
  let next = 0
  stream.forEach((record, i) => {
    while (next < extra.length && next * every <= i) out.push(extra[next++]!)
    out.push(record)
  })
  while (next < extra.length) out.push(extra[next++]!)
  return out
}
