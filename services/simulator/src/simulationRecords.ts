import { BinaryHeap } from "./binaryHeap.ts"
import { customerArrivals } from "./customerArrivals.ts"
import { customerJourney } from "./customerJourney.ts"
import { customerProfile, Streams } from "./customerProfile.ts"
import { seededRandom } from "./seededRandom.ts"
import type { SimulatedRecord } from "./simulatedRecord.ts"
import type { SimulationOptions } from "./simulationOptions.ts"

interface Head {
  readonly record: SimulatedRecord
  readonly customer: number
  readonly rest: Iterator<SimulatedRecord>
}

/**
 * Every record of a simulation in arrival order: all customers' records
 * merged by arrival time (ties by customer number). Lazy: memory grows with
 * the number of customers, not of events, so a benchmark can stream
 * millions of records. A pure function of `options` (validate them first
 * with `validateSimulationOptions`).
 */
export function* simulationRecords(options: SimulationOptions): Generator<SimulatedRecord> {
  const heads = new BinaryHeap<Head>(
    (a, b) =>
      a.record.arrivalMs < b.record.arrivalMs || (a.record.arrivalMs === b.record.arrivalMs && a.customer < b.customer)
  )
  for (let customer = 0; customer < options.customers; customer++) {
    const profile = customerProfile(options, customer)
    const rest = customerArrivals(
      customerJourney(profile, options),
      seededRandom(options.seed, Streams.arrival, customer),
      options
    )
    const first = rest.next()
    if (!first.done) heads.push({ record: first.value, customer, rest })
  }
  for (;;) {
    const head = heads.pop()
    if (head === undefined) return
    yield head.record
    const next = head.rest.next()
    if (!next.done) heads.push({ record: next.value, customer: head.customer, rest: head.rest })
  }
}
