import { applyInto, type CustomerState, defaultParams, emptyState, newOutcome, type Params } from "../src/index.ts"
import { type CpuTicks, cpuTicks, formatSteal, stealShare } from "./hostSteal.ts"
import { type CustomerEvent, type SyntheticOptions, syntheticHistory } from "./syntheticHistory.ts"

/**
 * Events per second of the pure fold: `apply` (through `applyInto`, as a
 * scorer's hot loop would call it) for every event of a generated
 * multi-customer history, into fresh states each round, with the lookup of
 * each customer's state. Events are materialized in batches outside the
 * timed region (as a decoder hands them over) and only the fold is timed.
 * Not a test: it prints figures; `./xpscore bench` reuses `runFoldBenchmark`.
 *
 * Two orders of the same events: "customer" (each customer's events
 * together: a per-key replay or a batch grouped by key; the model's own
 * cost) and "time" (one interleaved stream: each event also pays for
 * fetching its customer's state from memory).
 */
export interface FoldBenchmarkOptions extends SyntheticOptions {
  readonly rounds: number
  /** Events per materialized batch. */
  readonly batch?: number
  readonly params?: Params
}

export interface FoldBenchmarkResult {
  readonly events: number
  readonly customers: number
  readonly rounds: number
  /** Fold seconds per round (wall clock). */
  readonly seconds: ReadonlyArray<number>
  /** Fold seconds per round on the main thread's CPU clock (what the fold costs when it has to share the cores). */
  readonly cpuSeconds: ReadonlyArray<number>
  /** Of the median round, wall clock. */
  readonly eventsPerSecond: number
  readonly bestEventsPerSecond: number
  /** Of the median round, per second of the main thread's CPU time. */
  readonly eventsPerCpuSecond: number
  /** Share of the machine's CPU time the host took during the timed rounds (see hostSteal.ts); undefined off Linux. */
  readonly stealShare: number | undefined
}

/** The main thread's CPU time in seconds (user and system; GC helper threads not included). */
const threadCpuSeconds = (): number => {
  const { user, system } = process.threadCpuUsage()
  return (user + system) / 1e6
}

/**
 * The headline configuration: 2,000 customers with about 250 events each over
 * a year (about one event every day and a half per customer, so the lateness
 * buffer, the evicted fold and the dedup memory are all exercised).
 */
export const defaultFoldBenchmark: FoldBenchmarkOptions = {
  customers: 2_000,
  eventsPerCustomer: 250,
  spanDays: 365,
  seed: 42,
  rounds: 5
}

/** Folds a batch into `states` (the loop a scorer runs per batch), reading each outcome as a scorer would. */
export const foldBatch = (states: Map<string, CustomerState>, batch: ReadonlyArray<CustomerEvent>, params: Params) => {
  const outcome = newOutcome()
  let applied = 0
  let lastCustomer = ""
  let state: CustomerState | undefined
  for (let i = 0; i < batch.length; i++) {
    const { customerId, event } = batch[i]!
    // Consecutive events of one customer (a per-key replay, a batch grouped by key) reuse the lookup.
    if (customerId !== lastCustomer || state === undefined) {
      state = states.get(customerId)
      if (state === undefined) {
        state = emptyState()
        states.set(customerId, state)
      }
      lastCustomer = customerId
    }
    applyInto(state, event, params, outcome)
    if (outcome.applied) applied++
  }
  return applied
}

export const runFoldBenchmark = (options: FoldBenchmarkOptions = defaultFoldBenchmark): FoldBenchmarkResult => {
  const params = options.params ?? defaultParams
  const batchSize = options.batch ?? 10_000
  const history = syntheticHistory(options)
  const seconds: Array<number> = []
  const cpuSeconds: Array<number> = []
  let customers = 0
  let ticksBefore: CpuTicks | undefined
  // The first round is not timed: it warms the JIT up, which keeps
  // optimizing (on a background thread, later under load) well into it.
  for (let round = -1; round < options.rounds; round++) {
    const states = new Map<string, CustomerState>()
    let elapsed = 0
    let cpu = 0
    for (let from = 0; from < history.events; from += batchSize) {
      const batch = history.slice(from, from + batchSize)
      const cpuStarted = threadCpuSeconds()
      const started = performance.now()
      foldBatch(states, batch, params)
      elapsed += performance.now() - started
      cpu += threadCpuSeconds() - cpuStarted
    }
    if (round < 0) {
      ticksBefore = cpuTicks()
      continue
    }
    seconds.push(elapsed / 1000)
    cpuSeconds.push(cpu)
    customers = states.size
  }
  const steal = stealShare(ticksBefore, cpuTicks())
  const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
  return {
    events: history.events,
    customers,
    rounds: options.rounds,
    seconds,
    cpuSeconds,
    eventsPerSecond: history.events / median(seconds),
    bestEventsPerSecond: history.events / Math.min(...seconds),
    eventsPerCpuSecond: history.events / median(cpuSeconds),
    stealShare: steal
  }
}

export const formatFoldBenchmark = (result: FoldBenchmarkResult): string => {
  const format = (n: number) => Math.round(n).toLocaleString("en-US")
  const steal = formatSteal(result.stealShare)
  return `pure fold: ${format(result.eventsPerSecond)} events/s (median of ${result.rounds} rounds, best ${format(result.bestEventsPerSecond)}; ${format(result.eventsPerCpuSecond)} per second of CPU time); ${format(result.events)} events across ${format(result.customers)} customers${steal === "" ? "" : `; ${steal} meanwhile`}`
}

if (import.meta.main) {
  for (const order of ["customer", "time"] as const) {
    console.log(`${order} order — ${formatFoldBenchmark(runFoldBenchmark({ ...defaultFoldBenchmark, order }))}`)
  }
}
