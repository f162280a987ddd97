/**
 * @xpscore/bench: `xpscore bench`, the figures of docs/benchmarks.md.
 *
 * - `runBench(options)`: every figure on a namespace of its own, cleaned up
 *   afterwards; `fullPlan` / `quickPlan` size it.
 * - `formatValue`, `formatTarget`, `verdict`, `formatMarkdown`: the rows with their targets.
 */
export { type BenchPlan, fullPlan, quickPlan } from "./benchPlan.ts"
export { type FigureRow, formatMarkdown, formatTarget, formatValue, met, verdict } from "./benchReport.ts"
export { type BenchOptions, type BenchResult, runBench, targetsMet } from "./runBench.ts"
