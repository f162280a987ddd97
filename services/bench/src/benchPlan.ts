/**
 * The sizes of a bench run. Full mode is sized for the figures the issue
 * asks for (restore and heap at 1M customers, offered rates held long
 * enough for a p99); quick mode runs every step at toy sizes, as a smoke
 * run of the whole command inside `./xpscore test`, in well under a minute.
 */
export interface LatencyPhase {
  /** offered events per second */
  readonly rate: number
  readonly seconds: number
}

export interface BenchPlan {
  readonly mode: "full" | "quick"
  /** the simulator input: customers, days, fixed seed */
  readonly simulation: { readonly customers: number; readonly days: number; readonly seed: number }
  /** the pure fold: customers and mean events per customer of the libs/scoring micro-benchmark */
  readonly fold: { readonly customers: number; readonly eventsPerCustomer: number; readonly rounds: number }
  /** input records the consumption and scorer figures read (at most the whole input) */
  readonly scorerRecords: number
  /** input records produced at full speed for the pipeline's sustained rate */
  readonly sustainedRecords: number
  readonly latencyPhases: ReadonlyArray<LatencyPhase>
  /** customers in the changelog for the restore figures (the last one also gives the heap figure) */
  readonly restoreCustomers: ReadonlyArray<number>
  readonly partitions: number
}

export const fullPlan: BenchPlan = {
  mode: "full",
  simulation: { customers: 25_000, days: 30, seed: 7 },
  fold: { customers: 2_000, eventsPerCustomer: 250, rounds: 5 },
  scorerRecords: 400_000,
  sustainedRecords: 100_000,
  latencyPhases: [
    { rate: 1_000, seconds: 20 },
    { rate: 5_000, seconds: 20 },
    { rate: 20_000, seconds: 8 }
  ],
  restoreCustomers: [100_000, 1_000_000],
  partitions: 6
}

export const quickPlan: BenchPlan = {
  mode: "quick",
  simulation: { customers: 1_500, days: 30, seed: 7 },
  fold: { customers: 500, eventsPerCustomer: 50, rounds: 3 },
  scorerRecords: 10_000,
  sustainedRecords: 3_000,
  latencyPhases: [
    { rate: 1_000, seconds: 2 },
    { rate: 5_000, seconds: 1 },
    { rate: 20_000, seconds: 0.5 }
  ],
  restoreCustomers: [1_000, 10_000],
  partitions: 6
}

/** Input records the pipeline of one ClickHouse mode consumes: the sustained part, then every offered phase. */
export const pipelineRecords = (plan: BenchPlan) =>
  plan.sustainedRecords + plan.latencyPhases.reduce((sum, phase) => sum + Math.ceil(phase.rate * phase.seconds), 0)
