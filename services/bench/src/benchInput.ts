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
 *
 * The records live in one buffer, with one offset array saying where each
 * key and value starts: the input stays in memory while the scorer and the
 * pipeline are measured in this same process, and as 800,000 small Buffers
 * (a key and a value per record) it was that many objects for every major
 * garbage collection to walk: 5 to 9 µs of CPU per scored event that the
 * scorer's figure was charged for. Messages are views on the buffer, made
 * when they are sent and dropped after.
 */
export interface BenchRecords {
  readonly count: number
  /** every record's key then value, back to back */
  readonly bytes: Buffer
  /** record i's key is bytes [offsets[2i], offsets[2i+1]), its value [offsets[2i+1], offsets[2i+2]) */
  readonly offsets: Uint32Array
}

export interface BenchInput {
  readonly records: BenchRecords
  readonly customers: number
  readonly days: number
  readonly seed: number
  /** bytes of the records' values */
  readonly bytes: number
  /** the first valid event of the input, as JSON (latency probes are made from it) */
  readonly probeTemplate: string
}

/** Record `i` as a message: its key and value are views on the input's buffer, not copies. */
export const messageAt = (records: BenchRecords, i: number): Message => {
  const { bytes, offsets } = records
  return {
    key: bytes.subarray(offsets[2 * i], offsets[2 * i + 1]),
    value: bytes.subarray(offsets[2 * i + 1], offsets[2 * i + 2])
  }
}

/** A fixed start, so the input is byte for byte the same on every run and machine. */
const INPUT_START_MS = Date.UTC(2025, 0, 1)

/** Appends keys and values to one growing buffer, recording where each starts. */
class RecordsWriter {
  private bytes = Buffer.allocUnsafe(1 << 24)
  private offsets = new Uint32Array(1 << 16)
  private at = 0
  count = 0

  add(key: string, value: Uint8Array) {
    this.reserve(Buffer.byteLength(key) + value.length)
    this.offsets[2 * this.count] = this.at
    this.at += this.bytes.write(key, this.at)
    this.offsets[2 * this.count + 1] = this.at
    this.bytes.set(value, this.at)
    this.at += value.length
    this.count++
  }

  private reserve(bytes: number) {
    if (this.at + bytes > this.bytes.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.at + bytes))
      this.bytes.copy(grown, 0, 0, this.at)
      this.bytes = grown
    }
    // room for this record's two offsets and the end offset after it
    if (2 * this.count + 3 > this.offsets.length) {
      const grown = new Uint32Array(2 * this.offsets.length)
      grown.set(this.offsets)
      this.offsets = grown
    }
  }

  /** The records, in buffers of their exact size. */
  done(): BenchRecords {
    this.offsets[2 * this.count] = this.at
    return {
      count: this.count,
      bytes: Buffer.from(this.bytes.subarray(0, this.at)),
      offsets: this.offsets.slice(0, 2 * this.count + 1)
    }
  }
}

export const generateInput = (plan: BenchPlan, atLeast: number): BenchInput => {
  const { customers, days, seed } = plan.simulation
  const writer = new RecordsWriter()
  let bytes = 0
  let probeTemplate: string | undefined
  for (const record of simulationRecords(withSimulationDefaults({ customers, days, seed, startMs: INPUT_START_MS }))) {
    const value = recordBytes(record)
    writer.add(record.customerId, value)
    bytes += value.length
    if (probeTemplate === undefined && record.kind === "event") probeTemplate = record.value
  }
  const records = writer.done()
  if (records.count < atLeast) {
    throw new Error(
      `the simulation of ${customers} customers over ${days} days gives ${records.count} records; the plan needs ${atLeast}`
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

/** Sends records [from, to) at full speed, in chunks, each acknowledged by the leader. */
export const produceAll = async (
  producer: Producer,
  topic: string,
  records: BenchRecords,
  from = 0,
  to = records.count
) => {
  const chunk = 5_000
  for (let at = from; at < to; at += chunk) {
    const messages: Array<Message> = []
    for (let i = at; i < Math.min(to, at + chunk); i++) messages.push(messageAt(records, i))
    await producer.send({ topic, messages, acks: 1 })
  }
}
