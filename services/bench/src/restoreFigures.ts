import * as v8 from "node:v8"
import * as vm from "node:vm"
import { CHANGELOG_INPUT_OFFSET_HEADER, ensureTopics, readChangelog, type TopicNames } from "@xpscore/kafka"
import { type PartitionState, restorePartition } from "@xpscore/scorer"
import { type CustomerState, defaultParams, serializeState } from "@xpscore/scoring"
import { foldBatch, syntheticHistory } from "@xpscore/scoring/bench"
import { Effect } from "effect"
import type { Kafka, Message } from "kafkajs"
import { benchProducer } from "./benchInput.ts"

/**
 * Restore and memory at a given number of customers. The changelog is
 * written the way the scorer leaves it once compacted: one state per
 * customer (folded from a few generated events each, with the libs/scoring
 * benchmark's history), keyed and partitioned as the scorer's. Restore is
 * what a scorer taking every partition over does after fencing: read the
 * changelog partitions to their end and rebuild each partition's state
 * (`readChangelog`, `restorePartition`).
 *
 * Heap per customer is the live heap the restored partition states take
 * (the state, the map entry and the key text the scorer keeps
 * beside it), from `heapUsed` after full collections before and after;
 * that counts a little more than the states' own objects, never less.
 */
export interface RestoreFigure {
  readonly customers: number
  readonly changelogRecords: number
  readonly changelogBytesPerCustomer: number
  readonly seconds: number
  /** of which reading the changelog partitions to their end (the rest: rebuilding the states) */
  readonly readSeconds: number
  readonly customersPerSecond: number
  readonly heapBytesPerCustomer: number
}

/** `global.gc`, without starting Node with --expose-gc. */
const collectGarbage = (() => {
  let gc: (() => void) | undefined
  return () => {
    if (gc === undefined) {
      v8.setFlagsFromString("--expose-gc")
      gc = vm.runInNewContext("gc") as () => void
    }
    for (let i = 0; i < 3; i++) gc()
  }
})()

const changelogSpec = (name: string, partitions: number) => ({
  name,
  numPartitions: partitions,
  replicationFactor: 1,
  configEntries: { "cleanup.policy": "compact" },
  purpose: "bench: a compacted scorer changelog of generated states"
})

/** Folds generated histories of `customers` customers and writes one state per customer to `topic`. */
const writeChangelog = async (kafka: Kafka, topic: string, customers: number) => {
  const history = syntheticHistory({ customers, eventsPerCustomer: 4, spanDays: 30, seed: 11 })
  let states: Map<string, CustomerState> | undefined = new Map()
  for (let from = 0; from < history.events; from += 20_000) {
    foldBatch(states, history.slice(from, from + 20_000), defaultParams)
  }
  const producer = await benchProducer(kafka)
  const headers = { [CHANGELOG_INPUT_OFFSET_HEADER]: "0" }
  let bytes = 0
  try {
    let messages: Array<Message> = []
    for (const [customerId, state] of states) {
      const value = Buffer.from(serializeState(state))
      bytes += value.length
      messages.push({ key: customerId, value, headers })
      if (messages.length === 5_000) {
        await producer.send({ topic, messages, acks: 1 })
        messages = []
      }
    }
    if (messages.length > 0) await producer.send({ topic, messages, acks: 1 })
  } finally {
    await producer.disconnect()
  }
  const written = states.size
  states = undefined
  return { customers: written, bytes }
}

export const restoreFigure = async (
  kafka: Kafka,
  options: { prefix: string; customers: number; partitions: number; topics: TopicNames }
): Promise<RestoreFigure> => {
  const topic = `${options.prefix}restore-${options.customers}`
  await Effect.runPromise(ensureTopics(kafka, [changelogSpec(topic, options.partitions)]))
  const written = await writeChangelog(kafka, topic, options.customers)
  const partitions = Array.from({ length: options.partitions }, (_, p) => p)

  collectGarbage()
  const heapBefore = process.memoryUsage().heapUsed
  const startedAt = performance.now()
  let read: Awaited<ReturnType<typeof readFully>> | undefined = await readFully(
    kafka,
    topic,
    partitions,
    options.prefix
  )
  const readSeconds = (performance.now() - startedAt) / 1000
  const states: Array<PartitionState> = []
  for (const partition of read) {
    const state = restorePartition(
      { params: defaultParams, topics: options.topics },
      partition.partition,
      partition.entries
    )
    if (state._tag === "Failure") throw state.failure
    states.push(state.success)
  }
  const seconds = (performance.now() - startedAt) / 1000
  const changelogRecords = read.reduce((sum, p) => sum + p.recordsRead, 0)
  read = undefined
  collectGarbage()
  const heapAfter = process.memoryUsage().heapUsed
  const restored = states.reduce((sum, state) => sum + state.customers.size, 0)
  if (restored !== written.customers) {
    throw new Error(`restored ${restored} customers of the ${written.customers} written to ${topic}`)
  }
  return {
    customers: restored,
    changelogRecords,
    changelogBytesPerCustomer: written.bytes / written.customers,
    seconds,
    readSeconds,
    customersPerSecond: restored / seconds,
    heapBytesPerCustomer: (heapAfter - heapBefore) / restored
  }
}

const readFully = (kafka: Kafka, topic: string, partitions: ReadonlyArray<number>, prefix: string) =>
  Effect.runPromise(
    readChangelog({ kafka, topic, partitions, groupIdPrefix: `${prefix}restore`, stallTimeoutMs: 60_000 })
  )
