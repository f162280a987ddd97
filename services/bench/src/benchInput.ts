import { murmur2Partitioner } from "@xpscore/kafka"
import { recordBytes, simulationRecords, withSimulationDefaults } from "@xpscore/simulator"
import type { Kafka, Message, Producer } from "kafkajs"
import type { BenchPlan } from "./benchPlan.ts"

/**
 * The one input of a bench run: the simulator's records (valid events,
 * producer duplicates, late and a few invalid records, as a real stream
 * has them) for a fixed seed and start, kept in memory as the bytes that
 * go to Kafka, so every figure reads the same stream and producing it is
 * not paced by the generator.
 */
export interface BenchRecord {
  readonly key: Buffer
  readonly value: Buffer
}

export interface BenchInput {
  readonly records: ReadonlyArray<BenchRecord>
  readonly customers: number
  readonly days: number
  readonly seed: number
  readonly bytes: number
  /** the first valid event of the input, as JSON (latency probes are made from it) */
  readonly probeTemplate: string
}

/** A fixed start, so the input is byte for byte the same on every run and machine. */
const INPUT_START_MS = Date.UTC(2025, 0, 1)

export const generateInput = (plan: BenchPlan, atLeast: number): BenchInput => {
  const { customers, days, seed } = plan.simulation
  const records: Array<BenchRecord> = []
  let bytes = 0
  let probeTemplate: string | undefined
  for (const record of simulationRecords(withSimulationDefaults({ customers, days, seed, startMs: INPUT_START_MS }))) {
    const value = Buffer.from(recordBytes(record))
    bytes += value.length
    records.push({ key: Buffer.from(record.customerId), value })
    if (probeTemplate === undefined && record.kind === "event") probeTemplate = record.value
  }
  if (records.length < atLeast) {
    throw new Error(
      `the simulation of ${customers} customers over ${days} days gives ${records.length} records; the plan needs ${atLeast}`
    )
  }
  if (probeTemplate === undefined) throw new Error("the simulation produced no valid event")
  return { records, customers, days, seed, bytes, probeTemplate }
}

/** A producer that partitions like every xpscore producer (murmur2 of the customer id). */
export const benchProducer = async (kafka: Kafka): Promise<Producer> => {
  const producer = kafka.producer({ allowAutoTopicCreation: false, createPartitioner: murmur2Partitioner })
  await producer.connect()
  return producer
}

const asMessages = (records: ReadonlyArray<BenchRecord>): Array<Message> =>
  records.map((record) => ({ key: record.key, value: record.value }))

/** Sends records [from, to) at full speed, in chunks, each acknowledged by the leader. */
export const produceAll = async (
  producer: Producer,
  topic: string,
  records: ReadonlyArray<BenchRecord>,
  from = 0,
  to = records.length
) => {
  const chunk = 5_000
  for (let at = from; at < to; at += chunk) {
    await producer.send({ topic, messages: asMessages(records.slice(at, Math.min(to, at + chunk))), acks: 1 })
  }
}
