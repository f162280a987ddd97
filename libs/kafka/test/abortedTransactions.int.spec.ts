import { Effect } from "effect"
import type { Admin, Kafka, Producer } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { testKafkaBrokers, uniqueSuffix } from "../../../test/harness/index.ts"
import { makeKafka } from "../src/kafkaClient.ts"
import { readToEnd } from "../src/readToEnd.ts"

/*
 * Transactions of several producers interleaving on one partition, aborted
 * in the reverse order of their start (as the scorer's dead-letter partition
 * has them after a crash with several transactions open): read_committed
 * readers must see the committed records only. kafkajs alone returns the
 * aborted ones too (abortedTransactions.ts).
 */

let kafka: Kafka
let admin: Admin
const producers: Array<Producer> = []

beforeAll(async () => {
  kafka = makeKafka({ clientId: "aborted-transactions-test", brokers: testKafkaBrokers() })
  admin = kafka.admin()
  await admin.connect()
})
afterAll(async () => {
  await Promise.all(producers.map((producer) => producer.disconnect()))
  await admin.disconnect()
})

const transactional = async (name: string) => {
  const producer = kafka.producer({
    transactionalId: `aborted-transactions-${name}-${uniqueSuffix()}`,
    idempotent: true,
    maxInFlightRequests: 1
  })
  await producer.connect()
  producers.push(producer)
  return producer
}

/**
 * Offsets: a1 0, b1 1, a2 2, b2 3, c1 4, (c commit 5), (b abort 6), (a abort 7), d1 8.
 * The broker lists the aborted transactions as [b (first 1), a (first 0)].
 */
const interleavedAborts = async () => {
  const topic = `aborted-transactions-${uniqueSuffix()}`
  await admin.createTopics({ topics: [{ topic, numPartitions: 1 }], waitForLeaders: true })
  const [a, b, c] = await Promise.all(["a", "b", "c"].map(transactional))
  const ta = await a!.transaction()
  const tb = await b!.transaction()
  const send = (t: typeof ta, value: string) => t.send({ topic, acks: -1, messages: [{ value }] })
  await send(ta, "a1 aborted")
  await send(tb, "b1 aborted")
  await send(ta, "a2 aborted")
  await send(tb, "b2 aborted")
  const tc = await c!.transaction()
  await send(tc, "c1 committed")
  await tc.commit()
  await tb.abort()
  await ta.abort()
  const plain = kafka.producer()
  await plain.connect()
  producers.push(plain)
  await plain.send({ topic, acks: -1, messages: [{ value: "d1 not transactional" }] })
  return topic
}

const read = async (topic: string) => {
  const values: Array<string> = []
  await Effect.runPromise(
    readToEnd({
      kafka,
      topic,
      groupIdPrefix: "aborted-transactions-test",
      stallTimeoutMs: 20_000,
      onMessages: (_partition, messages) => {
        for (const message of messages) values.push(message.value!.toString())
      }
    })
  )
  return values
}

describe("read_committed with interleaved aborted transactions on one partition", () => {
  it("readToEnd returns the committed and non-transactional records only", async () => {
    const topic = await interleavedAborts()
    expect(await read(topic)).toEqual(["c1 committed", "d1 not transactional"])
  })

  it("a consumer starting inside the aborted transactions sees no aborted record either", async () => {
    const topic = await interleavedAborts()
    for (const from of [2, 3]) {
      const groupId = `aborted-transactions-${uniqueSuffix()}`
      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: String(from) }] })
      const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100 })
      await consumer.connect()
      await consumer.subscribe({ topics: [topic] })
      const values: Array<string> = []
      await new Promise<void>((resolve) => {
        void consumer.run({
          autoCommit: false,
          eachMessage: async ({ message }) => {
            values.push(message.value!.toString())
            if (message.value!.toString().startsWith("d1")) resolve()
          }
        })
      })
      await consumer.disconnect()
      expect(values, `from offset ${from}`).toEqual(["c1 committed", "d1 not transactional"])
    }
  })
})
