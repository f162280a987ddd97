import fc from "fast-check"
import { currentRegistry, decodeEvent } from "../src/index.ts"
import { arbitraryInvalidRecord, arbitraryWireEvent } from "../src/testing/index.ts"

/**
 * Records per second through `decodeEvent` (size, UTF-8, JSON, dispatch,
 * JIT-compiled schema, upcast), on one core, for valid records as they come
 * from Kafka (Buffers) and for invalid ones (a dead-letter storm must not
 * stall the scorer). `JSON.parse` alone is the floor. Not a test: it prints
 * figures. Run: node libs/events/bench/decodeBenchmark.ts
 */
export interface DecodeBenchmarkOptions {
  readonly records: number
  readonly rounds: number
  readonly seed: number
}

export interface DecodeBenchmarkResult {
  readonly validPerSecond: number
  readonly invalidPerSecond: number
  readonly jsonParsePerSecond: number
  readonly meanRecordBytes: number
}

export const defaultDecodeBenchmark: DecodeBenchmarkOptions = { records: 50_000, rounds: 7, seed: 42 }

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

const perSecond = (records: ReadonlyArray<Uint8Array>, rounds: number, run: (record: Uint8Array) => unknown) => {
  const rates: Array<number> = []
  for (let round = 0; round < rounds; round++) {
    const started = performance.now()
    for (let i = 0; i < records.length; i++) run(records[i]!)
    rates.push(records.length / ((performance.now() - started) / 1000))
  }
  return median(rates.slice(1)) // the first round warms the JIT up
}

export const runDecodeBenchmark = (options: DecodeBenchmarkOptions = defaultDecodeBenchmark): DecodeBenchmarkResult => {
  const encoder = new TextEncoder()
  const valid = fc
    .sample(arbitraryWireEvent, { numRuns: options.records, seed: options.seed })
    .map((event) => Buffer.from(encoder.encode(JSON.stringify(event))))
  const invalid = fc
    .sample(arbitraryInvalidRecord, { numRuns: Math.ceil(options.records / 10), seed: options.seed })
    .map((sample) => Buffer.from(typeof sample.raw === "string" ? encoder.encode(sample.raw) : sample.raw))
  const text = new TextDecoder()
  return {
    validPerSecond: perSecond(valid, options.rounds, (record) => decodeEvent(currentRegistry, record)),
    invalidPerSecond: perSecond(invalid, options.rounds, (record) => decodeEvent(currentRegistry, record)),
    jsonParsePerSecond: perSecond(valid, options.rounds, (record) => JSON.parse(text.decode(record))),
    meanRecordBytes: Math.round(valid.reduce((sum, record) => sum + record.length, 0) / valid.length)
  }
}

if (import.meta.main) {
  const result = runDecodeBenchmark()
  const figure = (n: number) => `${Math.round(n).toLocaleString("en-US")}/s (${(1e6 / n).toFixed(2)} µs each)`
  console.log(`decode, valid records (mean ${result.meanRecordBytes} bytes): ${figure(result.validPerSecond)}`)
  console.log(`decode, invalid records:                  ${figure(result.invalidPerSecond)}`)
  console.log(`JSON.parse alone, valid records:          ${figure(result.jsonParsePerSecond)}`)
}
