import { defaultFoldBenchmark, runFoldBenchmark } from "../../../libs/scoring/bench/foldBenchmark.ts"
import type { BenchPlan } from "./benchPlan.ts"

/**
 * The pure model fold: libs/scoring's micro-benchmark (its entry point, so
 * the figure is the one its authors tune), events in stream order across
 * customers, the state lookup included; the median round.
 */
export const foldFigure = (plan: BenchPlan) =>
  runFoldBenchmark({
    ...defaultFoldBenchmark,
    customers: plan.fold.customers,
    eventsPerCustomer: plan.fold.eventsPerCustomer,
    rounds: plan.fold.rounds,
    order: "time"
  })
