import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as v8 from "node:v8"
import { type CustomerState, defaultParams, deserializeState, type Params, serializeState } from "../src/index.ts"
import { foldBatch } from "./foldBenchmark.ts"
import { type SyntheticOptions, syntheticHistory } from "./syntheticHistory.ts"

/**
 * Memory and restore figures of customer states: live heap bytes per
 * customer after folding a generated history (the map entry and its key
 * included), serialized bytes per customer (the changelog value), and the
 * heap and rate of restoring every state from those bytes. Not a test.
 *
 * Live bytes are counted in heap snapshots (the sum of the objects' sizes):
 * `process.memoryUsage().heapUsed` after a collection also counts space V8
 * has not reclaimed and over-states a fold's states by a third.
 */
export interface StateMemoryResult {
  readonly customers: number
  readonly eventsPerCustomer: number
  /** Live heap after folding, per customer (the map entry and its key included). */
  readonly foldedHeapBytesPerCustomer: number
  readonly serializedBytesPerCustomer: number
  /** Live heap of the states restored from their bytes, per customer (the map entry included). */
  readonly restoredHeapBytesPerCustomer: number
  readonly restoredStatesPerSecond: number
}

/**
 * The total size of the live objects, from a heap snapshot. The snapshot is
 * read as a stream (its node table only): at a million customers it is
 * larger than the longest string V8 can hold.
 */
const liveBytes = (): number => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "xpscore-heap-")), "heap.heapsnapshot")
  try {
    v8.writeHeapSnapshot(file)
    return sumSelfSizes(file)
  } finally {
    fs.rmSync(path.dirname(file), { recursive: true, force: true })
  }
}

/** Sums the self_size field of every node in a heap snapshot file, reading it in chunks. */
const sumSelfSizes = (file: string): number => {
  const fd = fs.openSync(file, "r")
  try {
    const chunk = Buffer.alloc(1 << 22)
    let header = ""
    let stride = 0
    let selfSize = 0
    let inNodes = false
    let field = 0
    let value = 0
    let digits = false
    let total = 0
    for (;;) {
      const read = fs.readSync(fd, chunk, 0, chunk.length, null)
      if (read === 0) break
      let i = 0
      if (!inNodes) {
        header += chunk.toString("latin1", 0, read)
        const start = header.indexOf('"nodes":[')
        if (start < 0) continue
        // The snapshot's first member, with its meta, ends with a comma (and a line break) before the nodes.
        const before = header.slice(header.indexOf("{"), start).trimEnd()
        const meta = JSON.parse(`${before.slice(0, before.lastIndexOf(","))}}`) as {
          snapshot: { meta: { node_fields: Array<string> } }
        }
        const fields = meta.snapshot.meta.node_fields
        stride = fields.length
        selfSize = fields.indexOf("self_size")
        inNodes = true
        // Where the node table starts inside this chunk.
        i = read - (header.length - (start + '"nodes":['.length))
      }
      for (; i < read; i++) {
        const c = chunk[i]!
        if (c >= 48 && c <= 57) {
          value = value * 10 + (c - 48)
          digits = true
        } else if (c === 44 || c === 93) {
          if (digits) {
            if (field === selfSize) total += value
            field = field + 1 === stride ? 0 : field + 1
          }
          value = 0
          digits = false
          if (c === 93) return total
        }
      }
    }
    throw new Error(`${file}: no end of the node table`)
  } finally {
    fs.closeSync(fd)
  }
}

const keep: { states?: Map<string, CustomerState> | undefined; blobs?: Array<[string, Uint8Array]> | undefined } = {}

export const measureStateMemory = (options: SyntheticOptions, params: Params = defaultParams): StateMemoryResult => {
  const history = syntheticHistory(options)
  const states = new Map<string, CustomerState>()
  keep.states = states
  const before = liveBytes()
  for (let from = 0; from < history.events; from += 20_000)
    foldBatch(states, history.slice(from, from + 20_000), params)
  const folded = liveBytes() - before
  const customers = states.size
  const blobs: Array<[string, Uint8Array]> = []
  let bytes = 0
  for (const [customerId, state] of states) {
    const blob = serializeState(state)
    bytes += blob.length
    blobs.push([customerId, blob])
  }
  keep.states = undefined
  keep.blobs = blobs
  const beforeRestore = liveBytes()
  const started = performance.now()
  const restored = new Map<string, CustomerState>()
  for (const [customerId, blob] of blobs) restored.set(customerId, deserializeState(blob))
  const seconds = (performance.now() - started) / 1000
  keep.states = restored
  const restoredHeap = liveBytes() - beforeRestore
  keep.states = undefined
  keep.blobs = undefined
  return {
    customers,
    eventsPerCustomer: history.events / customers,
    foldedHeapBytesPerCustomer: folded / customers,
    serializedBytesPerCustomer: bytes / customers,
    restoredHeapBytesPerCustomer: restoredHeap / restored.size,
    restoredStatesPerSecond: restored.size / seconds
  }
}

export const formatStateMemory = (r: StateMemoryResult, label: string): string => {
  const n = (x: number) => Math.round(x).toLocaleString("en-US")
  return `${label}: ${n(r.customers)} customers, ${r.eventsPerCustomer.toFixed(1)} events each: ${n(r.foldedHeapBytesPerCustomer)} B live heap per customer after folding (map entry and key included), ${n(r.restoredHeapBytesPerCustomer)} B restored (map entry included), ${n(r.serializedBytesPerCustomer)} B serialized; restore ${n(r.restoredStatesPerSecond)} states/s`
}

if (import.meta.main) {
  const customers = Number(process.argv[2] ?? 20_000)
  for (const [label, spanDays] of [
    ["a handful of events within a day", 1],
    ["a handful of events over a month", 30]
  ] as const) {
    console.log(formatStateMemory(measureStateMemory({ customers, eventsPerCustomer: 5, spanDays, seed: 7 }), label))
  }
}
