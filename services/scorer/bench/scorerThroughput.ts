import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { EventDecoder } from "@xpscore/events"
import { ensureTopics, makeKafka, readChangelog, topicNames, topicSpecs } from "@xpscore/kafka"
import { defaultParams } from "@xpscore/scoring"
import { ConfigProvider, Effect, Fiber, Logger } from "effect"
import { restorePartition } from "../src/partitionScorer.ts"
import { runScorer } from "../src/Scorer.ts"
import { syntheticInteractions } from "./syntheticInteractions.ts"

/**
 * Events per second through the scorer against the real broker, with
 * transactions (consume, decode, fold, score records, changelog, offsets),
 * beside raw kafkajs consumption of the same topic (eachBatch that only
 * counts) for scale. Not a test: it prints figures.
 *
 *   node services/scorer/bench/scorerThroughput.ts [events] [customers] [partitions]
 *
 * KAFKA_BROKERS as usual (default: the local broker). BENCH_INSTANCES=n runs
 * n `xpscore run scorer` processes in one group instead of the in-process
 * scorer (partitions are the unit of parallelism: n processes use n cores).
 */
const events = Number(process.argv[2] ?? 200_000)
const customers = Number(process.argv[3] ?? 10_000)
const partitions = Number(process.argv[4] ?? 6)
const brokers = (process.env.KAFKA_BROKERS ?? "127.0.0.1:19092").split(",")
const prefix = `bench-${Math.random().toString(36).slice(2, 8)}.`
/** BENCH_SKIP_RAW=1: only the scorer (for profiling it) */
const skipRaw = process.env.BENCH_SKIP_RAW === "1"
const names = topicNames(prefix)
const kafka = makeKafka({ clientId: "scorer-bench", brokers })

const produce = async () => {
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const all = syntheticInteractions(events, customers)
  const chunk = 5_000
  for (let from = 0; from < events; from += chunk) {
    const messages = all
      .slice(from, from + chunk)
      .map((event) => ({ key: event.subject, value: JSON.stringify(event) }))
    await producer.send({ topic: names.interactions, messages, acks: 1 })
  }
  await producer.disconnect()
}

const endOffsets = async (topic: string) => {
  const admin = kafka.admin()
  await admin.connect()
  const offsets = await admin.fetchTopicOffsets(topic)
  await admin.disconnect()
  return offsets.reduce((sum, p) => sum + Number(p.high), 0)
}

const committed = async (groupId: string) => {
  const admin = kafka.admin()
  await admin.connect()
  const [entry] = await admin.fetchOffsets({ groupId, topics: [names.interactions] })
  await admin.disconnect()
  return (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)
}

/** kafkajs alone: read the topic in batches and count. */
const rawConsumption = async () => {
  const consumer = kafka.consumer({ groupId: `${prefix}raw`, maxBytesPerPartition: 2_097_152 })
  await consumer.connect()
  await consumer.subscribe({ topics: [names.interactions], fromBeginning: true })
  let seen = 0
  let startedAt = 0
  const done = new Promise<number>((resolve) => {
    void consumer.run({
      partitionsConsumedConcurrently: partitions,
      eachBatch: async ({ batch }) => {
        if (startedAt === 0) startedAt = performance.now()
        seen += batch.messages.length
        if (seen >= events) resolve(performance.now())
      }
    })
  })
  const endedAt = await done
  await consumer.disconnect()
  return events / ((endedAt - startedAt) / 1000)
}

const scorerEnv = () => ({
  XPSCORE_TOPIC_PREFIX: prefix,
  XPSCORE_TOPIC_PARTITIONS: String(partitions),
  XPSCORE_SCORER_HTTP_PORT: "0",
  KAFKA_BROKERS: brokers.join(",")
})

/** Polls the group's committed offsets; the rate is taken from the first commit seen to the last. */
const measure = async (stopped: () => unknown) => {
  const groupId = `${prefix}scorer`
  let startedAt = 0
  let doneAtStart = 0
  let cpuAtStart = process.cpuUsage()
  while (true) {
    const failure = stopped()
    if (failure !== undefined) throw new Error(`the scorer stopped: ${JSON.stringify(failure)}`)
    const done = await committed(groupId)
    if (startedAt === 0 && done > 0) {
      startedAt = performance.now()
      doneAtStart = done
      cpuAtStart = process.cpuUsage()
    }
    if (done >= events) break
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  const cpu = process.cpuUsage(cpuAtStart)
  return {
    rate: (events - doneAtStart) / ((performance.now() - startedAt) / 1000),
    cpuMicrosPerEvent: (cpu.user + cpu.system) / (events - doneAtStart)
  }
}

/** The scorer in this process (its CPU time is this process's). */
const scorerRun = async () => {
  const fiber = Effect.runFork(
    Effect.scoped(runScorer).pipe(
      Effect.provide(EventDecoder.layer),
      Effect.provide(Logger.layer([])),
      Effect.provideService(
        ConfigProvider.ConfigProvider,
        ConfigProvider.fromEnv({ env: { ...process.env, ...scorerEnv() } })
      )
    )
  )
  const result = await measure(() => fiber.pollUnsafe())
  await Effect.runPromise(Fiber.interrupt(fiber))
  return result
}

/** `instances` scorer processes (`xpscore run scorer`) sharing the partitions. */
const scorerProcesses = async (instances: number) => {
  const main = fileURLToPath(new URL("../../cli/src/main.ts", import.meta.url))
  const children = Array.from({ length: instances }, () =>
    spawn(process.execPath, [main, "run", "scorer"], {
      env: { ...process.env, ...scorerEnv() },
      stdio: ["ignore", "ignore", "inherit"]
    })
  )
  const exited = children.map((child) => new Promise((resolve) => child.on("exit", resolve)))
  const result = await measure(() => children.find((child) => child.exitCode !== null)?.exitCode ?? undefined)
  for (const child of children) child.kill("SIGTERM")
  await Promise.all(exited)
  return result
}

await Effect.runPromise(ensureTopics(kafka, topicSpecs({ names, partitions, replicationFactor: 1 })))
const producedAt = performance.now()
await produce()
console.log(
  `produced ${events.toLocaleString("en-US")} events for ${customers.toLocaleString("en-US")} customers on ${partitions} partitions in ${((performance.now() - producedAt) / 1000).toFixed(1)} s (${(await endOffsets(names.interactions)).toLocaleString("en-US")} records)`
)
const raw = skipRaw ? undefined : await rawConsumption()
if (raw !== undefined) console.log(`raw kafkajs consumption: ${Math.round(raw).toLocaleString("en-US")} events/s`)
const instances = Number(process.env.BENCH_INSTANCES ?? 0)
const scored = instances > 0 ? await scorerProcesses(instances) : await scorerRun()
console.log(
  `${instances > 0 ? `${instances} scorer processes` : "scorer"}, exactly once: ${Math.round(scored.rate).toLocaleString("en-US")} events/s${raw === undefined ? "" : ` (${(scored.rate / raw).toFixed(2)} of raw)`}${instances > 0 ? "" : `, ${scored.cpuMicrosPerEvent.toFixed(1)} µs of CPU per event`}`
)

// Restore: what a scorer taking over every partition reads and rebuilds (after fencing and reading the offsets).
const restoreStarted = performance.now()
const restored = await Effect.runPromise(
  readChangelog({
    kafka,
    topic: names.scorerState,
    partitions: Array.from({ length: partitions }, (_, p) => p),
    groupIdPrefix: `${prefix}bench`,
    stallTimeoutMs: 60_000
  })
)
let restoredCustomers = 0
for (const partition of restored) {
  const state = restorePartition({ params: defaultParams, topics: names }, partition.partition, partition.entries)
  if (state._tag === "Failure") throw state.failure
  restoredCustomers += state.success.customers.size
}
const changelogRecords = restored.reduce((sum, p) => sum + p.recordsRead, 0)
console.log(
  `restore of every partition: ${restoredCustomers.toLocaleString("en-US")} customers (${changelogRecords.toLocaleString("en-US")} changelog records not yet compacted) in ${Math.round(performance.now() - restoreStarted)} ms`
)
