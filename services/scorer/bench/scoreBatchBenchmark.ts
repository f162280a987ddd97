import { currentRegistry, decodeEvent, EventDecoder } from "@xpscore/events"
import { topicNames } from "@xpscore/kafka"
import { defaultParams } from "@xpscore/scoring"
import type { KafkaMessage } from "kafkajs"
import { InvalidRatioGuard } from "../src/invalidRatioGuard.ts"
import { type PartitionState, type ScorerSetup, scoreBatch } from "../src/partitionScorer.ts"
import { syntheticInteractions } from "./syntheticInteractions.ts"

/**
 * Events per second through `scoreBatch` alone, on one core: decode, fold,
 * score record JSON, changelog serialization and dead letters, for batches
 * of one partition as Kafka hands them over. Decoding alone is shown beside
 * it (the share of the contract's validation). Not a test: it prints
 * figures. Run: node services/scorer/bench/scoreBatchBenchmark.ts [events] [customers] [batch]
 */
const events = Number(process.argv[2] ?? 300_000)
const customers = Number(process.argv[3] ?? 2_000)
const batchSize = Number(process.argv[4] ?? 5_000)

const messages: Array<KafkaMessage> = syntheticInteractions(events, customers).map((event, i) => ({
  key: Buffer.from(event.subject),
  value: Buffer.from(JSON.stringify(event)),
  offset: String(i),
  timestamp: "0",
  attributes: 0,
  headers: {}
}))

const setup: ScorerSetup = {
  decoder: EventDecoder.make(currentRegistry),
  params: defaultParams,
  topics: topicNames("bench."),
  groupId: "bench",
  guard: new InvalidRatioGuard(0.5, 1_000),
  nowMs: Date.now
}

const round = () => {
  const state: PartitionState = { customers: new Map() }
  const started = performance.now()
  let changelog = 0
  for (let from = 0; from < messages.length; from += batchSize) {
    const batch = { topic: "bench.interactions", partition: 0, messages: messages.slice(from, from + batchSize) }
    const result = scoreBatch(setup, state, batch)
    if (result._tag === "Failure") throw result.failure
    changelog += result.success.changelog.length
  }
  return { perSecond: messages.length / ((performance.now() - started) / 1000), changelog }
}

const decodeRound = () => {
  const started = performance.now()
  for (const message of messages) decodeEvent(currentRegistry, message.value!)
  return messages.length / ((performance.now() - started) / 1000)
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const rounds = Array.from({ length: 5 }, round)
const decodes = Array.from({ length: 5 }, decodeRound)
const scored = median(rounds.slice(1).map((r) => r.perSecond))
const decoded = median(decodes.slice(1))
const figure = (n: number) => `${Math.round(n).toLocaleString("en-US")}/s (${(1e6 / n).toFixed(2)} µs each)`
console.log(`scoreBatch, ${customers} customers, batches of ${batchSize}: ${figure(scored)}`)
console.log(`  changelog records per event: ${(rounds[0]!.changelog / messages.length).toFixed(3)}`)
console.log(`decodeEvent alone:                       ${figure(decoded)}`)
