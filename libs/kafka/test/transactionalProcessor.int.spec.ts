import { Deferred, Effect, Exit, Fiber, Logger, Schema, type Scope } from "effect"
import { type Admin, Kafka, logLevel } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { testKafkaBrokers, uniqueSuffix } from "../../../test/harness/index.ts"
import { CHANGELOG_INPUT_OFFSET_HEADER } from "../src/changelogRestore.ts"
import { readToEnd } from "../src/readToEnd.ts"
import {
  type PartitionProcessor,
  type ProcessorStatus,
  startTransactionalProcessor,
  type TransactionalProcessorOptions,
  transactionalIdFor
} from "../src/transactionalProcessor.ts"

/**
 * A counting processor: the state of a partition is a count per key; every
 * input record becomes one output record `key:count:value`, and every
 * touched key's count goes to the changelog. Exactly-once shows as counts
 * 1, 2, 3, … per key with no gap and no repeat, across restarts.
 */
class Poisoned extends Schema.TaggedError<Poisoned>()("Poisoned", { offset: Schema.String }) {}

interface Behaviour {
  /** the first time a record with this value is processed, emit an oversized record (the broker refuses it) */
  failOnceOn?: string
}

const countingProcessor = (
  outTopic: string,
  behaviour: Behaviour = {}
): PartitionProcessor<Map<string, number>, { records: number }, Poisoned, never> => {
  let failed = false
  return {
    restore: (_partition, entries) =>
      Effect.sync(() => new Map([...entries].map(([key, entry]) => [key, Number(entry.value.toString())]))),
    process: (state, batch) =>
      Effect.suspend(() => {
        const messages = []
        const touched = new Set<string>()
        for (const message of batch.messages) {
          const value = message.value!.toString()
          if (value === "poison") return Effect.fail(new Poisoned({ offset: message.offset }))
          const key = message.key!.toString()
          const count = (state.get(key) ?? 0) + 1
          state.set(key, count)
          touched.add(key)
          messages.push({ key, value: `${key}:${count}:${value}` })
          if (value === behaviour.failOnceOn && !failed) {
            failed = true
            messages.push({ key, value: Buffer.alloc(1_200_000) })
          }
        }
        return Effect.succeed({
          topicMessages: [{ topic: outTopic, messages }],
          changelog: [...touched].map((key) => ({ key, value: Buffer.from(String(state.get(key))) })),
          stats: { records: batch.messages.length }
        })
      }),
    size: (state) => state.size
  }
}

let kafka: Kafka
let admin: Admin

/** The processor's logs are its operators' business; the assertions below say what happened. */
const run = <A, E>(effect: Effect.Effect<A, E, Scope.Scope>) =>
  Effect.runPromise(Effect.scoped(effect).pipe(Effect.provide(Logger.layer([]))))

beforeAll(async () => {
  kafka = new Kafka({
    clientId: "transactional-processor-test",
    brokers: testKafkaBrokers(),
    logLevel: logLevel.NOTHING
  })
  admin = kafka.admin()
  await admin.connect()
})
afterAll(async () => {
  await admin.disconnect()
})

interface Topics {
  readonly input: string
  readonly output: string
  readonly changelog: string
  readonly groupId: string
}

const freshTopics = async (partitions: number): Promise<Topics> => {
  const suffix = uniqueSuffix()
  const topics = {
    input: `tp-in-${suffix}`,
    output: `tp-out-${suffix}`,
    changelog: `tp-state-${suffix}`,
    groupId: `tp-group-${suffix}`
  }
  await admin.createTopics({
    topics: [
      { topic: topics.input, numPartitions: partitions },
      { topic: topics.output, numPartitions: partitions },
      {
        topic: topics.changelog,
        numPartitions: partitions,
        configEntries: [{ name: "cleanup.policy", value: "compact" }]
      }
    ],
    waitForLeaders: true
  })
  return topics
}

const produce = async (topic: string, records: ReadonlyArray<{ key: string; value: string }>) => {
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: [...records] })
  await producer.disconnect()
}

const readValues = async (topic: string) => {
  const values: Array<string> = []
  await Effect.runPromise(
    readToEnd({
      kafka,
      topic,
      groupIdPrefix: "tp-test",
      stallTimeoutMs: 20_000,
      onMessages: (_, messages) => {
        for (const m of messages) values.push(m.value!.length > 1000 ? "<oversized>" : m.value!.toString())
      }
    })
  )
  return values
}

const committedTotal = async (groupId: string, topic: string) => {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
  return (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)
}

const endTotal = async (topic: string) =>
  (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0)

const options = (topics: Topics, behaviour: Behaviour = {}) =>
  ({
    kafka,
    groupId: topics.groupId,
    inputTopic: topics.input,
    changelogTopic: topics.changelog,
    processor: countingProcessor(topics.output, behaviour),
    maxBatchRecords: 40,
    partitionsConcurrently: 3,
    fetchMinBytes: 1,
    fetchMaxWaitMs: 100,
    fetchMaxBytesPerPartition: 1_048_576,
    sessionTimeoutMs: 10_000,
    heartbeatIntervalMs: 500,
    rebalanceTimeoutMs: 10_000,
    transactionTimeoutMs: 30_000,
    retryBaseMs: 50,
    retryMaxMs: 500,
    restoreStallMs: 20_000,
    drainTimeoutMs: 10_000
  }) satisfies TransactionalProcessorOptions<Map<string, number>, { records: number }, Poisoned, never>

/** Runs a processor until every input record is committed, then closes it (which drains). */
const processAll = (topics: Topics, behaviour: Behaviour = {}) =>
  run(
    Effect.gen(function* () {
      const processor = yield* startTransactionalProcessor(options(topics, behaviour))
      const end = yield* Effect.promise(() => endTotal(topics.input))
      const started = Date.now()
      let status: ProcessorStatus | undefined
      while (Date.now() - started < 60_000) {
        status = yield* processor.status
        const committed = yield* Effect.promise(() => committedTotal(topics.groupId, topics.input))
        if (committed >= end) return status
        yield* Effect.sleep(50)
      }
      throw new Error(`not all committed within 60 s; status ${JSON.stringify(status)}`)
    })
  )

const keyed = (n: number, prefix: string) =>
  Array.from({ length: n }, (_, i) => ({ key: `key-${i % 7}`, value: `${prefix}${i}` }))

/** Output values per key, in the order they were written: count and input value. */
const byKey = (values: ReadonlyArray<string>) => {
  const counts = new Map<string, Array<number>>()
  for (const value of values) {
    const [key, count] = value.split(":")
    counts.set(key!, [...(counts.get(key!) ?? []), Number(count)])
  }
  return counts
}

const expectGaplessCounts = (values: ReadonlyArray<string>, perKey: ReadonlyMap<string, number>) => {
  const counts = byKey(values)
  expect(new Set(counts.keys())).toEqual(new Set(perKey.keys()))
  for (const [key, n] of perKey) expect(counts.get(key)).toEqual(Array.from({ length: n }, (_, i) => i + 1))
}

const expectedPerKey = (records: ReadonlyArray<{ key: string }>) => {
  const perKey = new Map<string, number>()
  for (const { key } of records) perKey.set(key, (perKey.get(key) ?? 0) + 1)
  return perKey
}

describe("startTransactionalProcessor against a real broker", () => {
  it("applies every input record once, and a restarted processor continues from the restored state", async () => {
    const topics = await freshTopics(3)
    const first = keyed(300, "a")
    await produce(topics.input, first)
    const status = await processAll(topics)
    expect(status.partitions.map((p) => p.phase)).toEqual(["ready", "ready", "ready"])
    expectGaplessCounts(await readValues(topics.output), expectedPerKey(first))

    const second = keyed(150, "b")
    await produce(topics.input, second)
    await processAll(topics)
    expectGaplessCounts(await readValues(topics.output), expectedPerKey([...first, ...second]))
  })

  it("aborts a failed transaction, drops the state it changed and retries from the changelog: nothing counted twice", async () => {
    const topics = await freshTopics(1)
    const records = keyed(120, "r")
    await produce(topics.input, records)
    await processAll(topics, { failOnceOn: "r70" })
    const values = await readValues(topics.output)
    expect(values).not.toContain("<oversized>")
    expectGaplessCounts(values, expectedPerKey(records))
  })

  it("fences a previous owner: its open transaction is aborted and it can no longer commit", async () => {
    const topics = await freshTopics(1)
    const zombie = kafka.producer({
      transactionalId: transactionalIdFor(topics.input, topics.groupId, 0),
      maxInFlightRequests: 1
    })
    await zombie.connect()
    const transaction = await zombie.transaction()
    await transaction.send({ topic: topics.output, messages: [{ key: "key-0", value: "zombie" }] })

    await produce(topics.input, keyed(10, "z"))
    await processAll(topics)
    await expect(transaction.commit()).rejects.toThrow()
    await zombie.disconnect()
    const values = await readValues(topics.output)
    expect(values).not.toContain("zombie")
    expectGaplessCounts(values, expectedPerKey(keyed(10, "z")))
  })

  it("stops with the processor's own error and commits nothing of the failing batch", async () => {
    const topics = await freshTopics(1)
    await produce(topics.input, [...keyed(5, "ok"), { key: "key-0", value: "poison" }, ...keyed(5, "later")])
    const exit = await run(
      Effect.gen(function* () {
        const processor = yield* startTransactionalProcessor({ ...options(topics), maxBatchRecords: 1_000 })
        return yield* Effect.exit(processor.failed)
      })
    )
    expect(Exit.isFailure(exit) && JSON.stringify(exit.cause)).toContain("Poisoned")
    expect(await committedTotal(topics.groupId, topics.input)).toBe(0)
    expect(await readValues(topics.output)).toEqual([])
  })

  it("refuses to start from state that is ahead of the committed offsets", async () => {
    const topics = await freshTopics(1)
    await produce(topics.input, keyed(3, "x"))
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({
      topic: topics.changelog,
      messages: [{ key: "key-0", value: "5", partition: 0, headers: { [CHANGELOG_INPUT_OFFSET_HEADER]: "3" } }]
    })
    await producer.disconnect()
    const exit = await run(
      Effect.gen(function* () {
        const processor = yield* startTransactionalProcessor(options(topics))
        return yield* Effect.exit(processor.failed)
      })
    )
    const message = Exit.isFailure(exit) ? JSON.stringify(exit.cause) : ""
    expect(message).toContain("ChangelogAheadOfOffsets")
    expect(await readValues(topics.output)).toEqual([])
  })

  it("pauses a partition until its state is restored, and reports it ready afterwards", async () => {
    const topics = await freshTopics(2)
    await produce(topics.input, keyed(20, "p"))
    await run(
      Effect.gen(function* () {
        const processor = yield* startTransactionalProcessor(options(topics))
        const phases: Array<string> = []
        const ready = yield* Deferred.make<void>()
        const watcher = yield* Effect.forkScoped(
          Effect.gen(function* () {
            while (true) {
              const status = yield* processor.status
              phases.push(status.partitions.map((p) => p.phase).join(","))
              if (status.partitions.length === 2 && status.partitions.every((p) => p.phase === "ready")) {
                yield* Deferred.succeed(ready, undefined)
                return
              }
              yield* Effect.sleep(5)
            }
          })
        )
        yield* Deferred.await(ready).pipe(Effect.timeout("30 seconds"))
        yield* Fiber.interrupt(watcher)
        expect(phases.some((p) => p.includes("preparing"))).toBe(true)
      })
    )
  })
})
