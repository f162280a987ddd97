/**
 * The model's benchmarks, for `./xpscore bench` and other callers: the pure
 * fold's events per second and the heap per customer state. Not part of the
 * model (they do I/O and read clocks); `@xpscore/scoring/bench`.
 */
export {
  defaultFoldBenchmark,
  type FoldBenchmarkOptions,
  type FoldBenchmarkResult,
  foldBatch,
  formatFoldBenchmark,
  runFoldBenchmark
} from "./foldBenchmark.ts"
export { type CpuTicks, cpuTicks, formatSteal, stealShare } from "./hostSteal.ts"
export { formatStateMemory, measureStateMemory, type StateMemoryResult } from "./stateMemory.ts"
export {
  type CustomerEvent,
  type SyntheticHistory,
  type SyntheticOptions,
  syntheticHistory
} from "./syntheticHistory.ts"
