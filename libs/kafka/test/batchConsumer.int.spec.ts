import { Effect, References, Schema } from "effect"
import { type Admin, Kafka, logLevel } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { testKafkaBrokers, uniqueSuffix } from "../../../test/harness/index.ts"
import { type BatchConsumerOptions, type BatchConsumerStatus, startBatchConsumer } from "../src/batchConsumer.ts"
import type { ConsumedRecord } from "../src/pendingBatch.ts"

class WriteRefused extends Schema.TaggedError<WriteRefused>()("WriteRefused", { attempt: Schema.Number }) {}

let kafka: Kafka
let admin: Admin

beforeAll(async () => {
  kafka = new Kafka({ clientId: "batch-consumer-test", brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING })
  admin = kafka.admin()
  await admin.connect()
})
afterAll(async () => {
  await admin.disconnect()
})

const freshTopic = async (partitions: number) => {
  const topic = `batch-consumer-${uniqueSuffix()}`
  await admin.createTopics({ topics: [{ topic, numPartitions: partitions }], waitForLeaders: true })
  return topic
}

const produce = async (topic: string, values: ReadonlyArray<string>) => {
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({ topic, messages: values.map((value, i) => ({ key: `k${i % 5}`, value })) })
  await producer.disconnect()
}

const committed = async (groupId: string, topic: string) => {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
  return new Map(entry?.partitions.map((p) => [p.partition, Number(p.offset)]))
}

const endOffsets = async (topic: string) =>
  new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]))

const defaults = {
  fromBeginning: true,
  maxBatchRows: 50,
  maxBatchMs: 200,
  maxBufferedRows: 200,
  retryBaseMs: 50,
  retryMaxMs: 400,
  drainTimeoutMs: 10_000,
  sessionTimeoutMs: 30_000,
  heartbeatIntervalMs: 3_000
}

/** Runs a batch consumer until `done` holds for what it wrote, then closes it (which drains). */
const consumeUntil = <E>(
  options: Omit<BatchConsumerOptions<E, never>, "kafka" | keyof typeof defaults> & Partial<typeof defaults>,
  done: (status: BatchConsumerStatus) => boolean,
  timeoutMs = 60_000
) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const consumer = yield* startBatchConsumer({ ...defaults, ...options, kafka })
        const started = Date.now()
        const seen: Array<BatchConsumerStatus> = []
        while (Date.now() - started < timeoutMs) {
          const status = yield* consumer.status
          seen.push(status)
          if (done(status)) return seen
          yield* Effect.sleep(25)
        }
        throw new Error(`condition not reached in ${timeoutMs} ms; last status ${JSON.stringify(seen.at(-1))}`)
      })
    ).pipe(Effect.provideService(References.MinimumLogLevel, "Error"))
  )

const values = (records: ReadonlyArray<ConsumedRecord>) => records.map((r) => r.value?.toString("utf8"))

describe("startBatchConsumer against a real broker", () => {
  it("writes every record once in batches of at most maxBatchRows, then commits the end offsets", async () => {
    const topic = await freshTopic(3)
    const groupId = `g-${uniqueSuffix()}`
    const sent = Array.from({ length: 437 }, (_, i) => `v${i}`)
    await produce(topic, sent)
    const batches: Array<ReadonlyArray<ConsumedRecord>> = []
    await consumeUntil(
      { groupId, topics: [topic], write: (records) => Effect.sync(() => void batches.push(records)) },
      () => batches.flat().length >= sent.length
    )
    expect(batches.every((batch) => batch.length <= 50)).toBe(true)
    expect(values(batches.flat()).sort()).toEqual([...sent].sort())
    expect(await committed(groupId, topic)).toEqual(await endOffsets(topic))
  })

  it("flushes a small batch after maxBatchMs without waiting for maxBatchRows", async () => {
    const topic = await freshTopic(1)
    const groupId = `g-${uniqueSuffix()}`
    const written: Array<{ at: number; records: ReadonlyArray<ConsumedRecord> }> = []
    const statuses = consumeUntil(
      {
        groupId,
        topics: [topic],
        maxBatchRows: 10_000,
        maxBatchMs: 300,
        write: (records) => Effect.sync(() => void written.push({ at: Date.now(), records }))
      },
      () => written.flatMap((w) => w.records).length === 3
    )
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const producedAt = Date.now()
    await produce(topic, ["a", "b", "c"])
    await statuses
    expect(values(written.flatMap((w) => w.records))).toEqual(["a", "b", "c"])
    const flushedAt = written.find((w) => w.records.length > 0)!.at
    // maxBatchMs plus fetch wait and a loaded machine's scheduling, far below the 10,000 rows it would take by size
    expect(flushedAt - producedAt).toBeLessThan(300 + 5000)
    expect(await committed(groupId, topic)).toEqual(new Map([[0, 3]]))
  })

  it("retries a failing write with the same records, pauses meanwhile, and commits only after it succeeded", async () => {
    const topic = await freshTopic(1)
    const groupId = `g-${uniqueSuffix()}`
    await produce(topic, ["x1", "x2", "x3", "x4"])
    const attempts: Array<ReadonlyArray<string | undefined>> = []
    const committedWhileFailing: Array<number> = []
    let failuresLeft = 4
    const statuses = await consumeUntil(
      {
        groupId,
        topics: [topic],
        maxBatchRows: 100,
        write: (records) =>
          Effect.gen(function* () {
            attempts.push(values(records))
            if (failuresLeft > 0) {
              failuresLeft -= 1
              const offsets = yield* Effect.promise(() => committed(groupId, topic))
              committedWhileFailing.push(offsets.get(0) ?? -1)
              return yield* new WriteRefused({ attempt: attempts.length })
            }
          })
      },
      (status) => failuresLeft === 0 && status.consecutiveFailures === 0 && status.lastWriteAtMs !== undefined
    )
    expect(attempts).toHaveLength(5)
    for (const attempt of attempts) expect(attempt).toEqual(["x1", "x2", "x3", "x4"])
    expect(committedWhileFailing.every((offset) => offset === -1)).toBe(true)
    expect(statuses.some((s) => s.pausedFor.includes("write-failing") && s.consecutiveFailures > 0)).toBe(true)
    expect(statuses.at(-1)?.pausedFor).toEqual([])
    expect(await committed(groupId, topic)).toEqual(new Map([[0, 4]]))
  })

  it("reads committed transactions only, and moves the offset past markers and aborted records (lag 0)", async () => {
    const topic = await freshTopic(1)
    const groupId = `g-${uniqueSuffix()}`
    const producer = kafka.producer({
      transactionalId: `tx-${uniqueSuffix()}`,
      idempotent: true,
      maxInFlightRequests: 1
    })
    await producer.connect()
    const inTransaction = async (values: ReadonlyArray<string>, outcome: "commit" | "abort") => {
      const tx = await producer.transaction()
      await tx.send({ topic, messages: values.map((value) => ({ value })) })
      await (outcome === "commit" ? tx.commit() : tx.abort())
    }
    await inTransaction(["kept-1", "kept-2"], "commit")

    // Once the committed records are written, an aborted transaction follows:
    // its fetch holds nothing but aborted records and a marker.
    const written: Array<ConsumedRecord> = []
    let aborted: Promise<void> | undefined
    await consumeUntil(
      { groupId, topics: [topic], write: (records) => Effect.sync(() => void written.push(...records)) },
      (status) => {
        if (written.length === 2 && aborted === undefined) aborted = inTransaction(["aborted-1", "aborted-2"], "abort")
        return status.lag.some((p) => p.partition === 0 && p.committedOffset === "6" && p.lag === 0)
      }
    )
    await producer.disconnect()
    expect(values(written)).toEqual(["kept-1", "kept-2"])
    // 2 records + commit marker + 2 aborted records + abort marker
    expect(await committed(groupId, topic)).toEqual(new Map([[0, 6]]))
  })

  it("pauses fetching while maxBufferedRows wait behind a slow write, and resumes once they are written", async () => {
    const topic = await freshTopic(2)
    const groupId = `g-${uniqueSuffix()}`
    const sent = Array.from({ length: 300 }, (_, i) => `s${i}`)
    await produce(topic, sent)
    const written: Array<ConsumedRecord> = []
    const statuses = await consumeUntil(
      {
        groupId,
        topics: [topic],
        maxBatchRows: 20,
        maxBufferedRows: 40,
        write: (records) => Effect.sleep(150).pipe(Effect.andThen(Effect.sync(() => void written.push(...records))))
      },
      (status) => written.length === sent.length && status.pausedFor.length === 0
    )
    expect(statuses.some((status) => status.pausedFor.includes("backpressure"))).toBe(true)
    expect(values(written).sort()).toEqual([...sent].sort())
    expect(await committed(groupId, topic)).toEqual(await endOffsets(topic))
  })

  it("drains on close: what was consumed is written and committed before the consumer leaves", async () => {
    const topic = await freshTopic(2)
    const groupId = `g-${uniqueSuffix()}`
    const sent = Array.from({ length: 40 }, (_, i) => `d${i}`)
    await produce(topic, sent)
    const written: Array<ConsumedRecord> = []
    await consumeUntil(
      {
        groupId,
        topics: [topic],
        // never due by size or time while running: only the drain writes
        maxBatchRows: 1_000_000,
        maxBatchMs: 600_000,
        maxBufferedRows: 1_000_000,
        write: (records) => Effect.sync(() => void written.push(...records))
      },
      (status) => status.bufferedRows === sent.length
    )
    expect(values(written).sort()).toEqual([...sent].sort())
    expect(await committed(groupId, topic)).toEqual(await endOffsets(topic))
    const groups = await admin.describeGroups([groupId])
    expect(groups.groups[0]?.members).toEqual([])
  })
})
