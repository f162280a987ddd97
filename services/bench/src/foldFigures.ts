import { defaultFoldBenchmark, runFoldBenchmark } from "@xpscore/scoring/bench"
import type { BenchPlan } from "./benchPlan.ts"

/**
 * The pure model fold: libs/scoring's micro-benchmark (its entry point, so
 * the figure is the one its authors tune), median round, in both of its
 * orders: each customer's events together (the model's own cost, what the
 * target is about) and one interleaved stream (each event also fetches its
 * customer's state from memory, as the scorer's input does).
 */
export const foldFigures = (plan: BenchPlan) => {
  const options = {
    ...defaultFoldBenchmark,
    customers: plan.fold.customers,
    eventsPerCustomer: plan.fold.eventsPerCustomer,
    rounds: plan.fold.rounds
  }
  return {
    byCustomer: runFoldBenchmark({ ...options, order: "customer" }),
    interleaved: runFoldBenchmark({ ...options, order: "time" })
  }
}
