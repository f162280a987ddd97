/**
 * @xpscore/simulator: realistic synthetic customer journeys, deterministic by seed.
 *
 * - `simulationRecords(options)`: every record in arrival order (lazy, pure):
 *   valid events, producer duplicates, late events, invalid records.
 * - `writeSimulationNdjson(options, out)`: to a file or standard output.
 * - `publishSimulation(options, { ratePerSecond })`: to the interactions
 *   topic through the producer SDK (needs `InteractionProducer`).
 * - `SimulationTally` / `summarizeRecords`: what a simulation produced.
 * - `withSimulationDefaults`, `validateSimulationOptions`, `parseStart`.
 */
export {
  type ExpectationOutcome,
  type IssueCause,
  type JourneyEvent,
  type JourneyNote,
  type Recovery,
  type Source,
  sources
} from "./customerJourney.ts"
export {
  type Channel,
  type CustomerProfile,
  customerId,
  customerProfile,
  type Segment,
  segments
} from "./customerProfile.ts"
export { type InvalidKind, type InvalidRecordValue, invalidKinds, invalidKindWeights } from "./invalidRecords.ts"
export { OutputUnwritable, type WriteProgress, writeSimulationNdjson } from "./ndjsonOutput.ts"
export {
  type PublishOptions,
  type PublishProgress,
  type PublishResult,
  publishSimulation
} from "./publishSimulation.ts"
export { type SeededRandom, seededRandom } from "./seededRandom.ts"
export {
  type DuplicateRecord,
  type EventRecord,
  type InvalidRecord,
  recordBytes,
  type SimulatedRecord
} from "./simulatedRecord.ts"
export {
  DAY_MS,
  defaultStartMs,
  HOUR_MS,
  InvalidSimulationOption,
  MAX_CUSTOMERS,
  MAX_DAYS,
  parseStart,
  type SimulationOptions,
  simulationDefaults,
  validateSimulationOptions,
  withSimulationDefaults
} from "./simulationOptions.ts"
export { simulationRecords } from "./simulationRecords.ts"
export { type SimulationSummary, SimulationTally, summarizeRecords } from "./simulationSummary.ts"
export { TokenBucket } from "./tokenBucket.ts"
