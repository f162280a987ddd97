/**
 * @xpscore/events/testing: test data for every suite that handles events.
 *
 * - valid events of every type (`arbitraryWireEvent`, `arbitraryXpEvent`,
 *   per type `arbitraryTouchpointWire`, …) with hostile but valid ids;
 * - invalid records with the path and rule the decoder must report
 *   (`invalidSamples`: a fixed list covering every rule;
 *   `arbitraryInvalidRecord`: defects applied to arbitrary valid events);
 * - multi-customer journeys (`arbitraryJourney`) with out-of-order arrival
 *   within a lateness bound and re-sent duplicates;
 * - a real `xp.touchpoint.v2` and `registryWithTouchpointV2` (v1 upcast into v2).
 */
export * from "./arbitraries.ts"
export * from "./invalidSamples.ts"
export * from "./journeys.ts"
export * from "./touchpointV2.ts"
