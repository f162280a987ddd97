import { LocalInfra } from "@xpscore/infra"
import { Effect } from "effect"
import { Kafka, logLevel } from "kafkajs"
import { describe, expect, it } from "vitest"
import { testInfra, testKafkaBrokers, uniqueSuffix } from "../harness/index.ts"

describe("the test Kafka is a real broker", () => {
  it("returns records produced to a fresh topic through a consumer group, keys and values intact", async () => {
    const kafka = new Kafka({ clientId: "smoke", brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING })
    const topic = `smoke-${uniqueSuffix()}`
    const groupId = `smoke-${uniqueSuffix()}`
    const admin = kafka.admin()
    await admin.connect()
    await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true })

    const sent = Array.from({ length: 60 }, (_, i) => ({ key: `customer-${i % 7}`, value: `event-${i}` }))
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic, messages: sent })
    await producer.disconnect()

    const received: Array<{ key: string; value: string; partition: number }> = []
    const consumer = kafka.consumer({ groupId })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    await new Promise<void>((resolve) => {
      void consumer.run({
        eachMessage: async ({ message, partition }) => {
          received.push({ key: String(message.key), value: String(message.value), partition })
          if (received.length === sent.length) resolve()
        }
      })
    })
    await consumer.disconnect()

    const byValue = (a: { value: string }, b: { value: string }) => a.value.localeCompare(b.value)
    expect(received.map(({ key, value }) => ({ key, value })).sort(byValue)).toEqual([...sent].sort(byValue))
    // one key, one partition: the order guarantee everything downstream relies on
    for (const key of new Set(sent.map((m) => m.key))) {
      expect(new Set(received.filter((m) => m.key === key).map((m) => m.partition)).size).toBe(1)
    }
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] })
    expect(committed[0]?.partitions.reduce((sum, p) => sum + Number(p.offset), 0)).toBe(sent.length)
    const cluster = await admin.describeCluster()
    expect(cluster.brokers).toHaveLength(1)
    await admin.disconnect()
  })

  it("is the broker process of `xpscore infra up` when no other Kafka was configured", async () => {
    if (testInfra().kafkaSource !== "local") return
    const statuses = await Effect.runPromise(
      Effect.gen(function* () {
        return yield* (yield* LocalInfra).status
      }).pipe(Effect.provide(LocalInfra.layer))
    )
    const kafka = statuses.find((s) => s.service === "kafka")
    expect(kafka?.running).toBe(true)
    expect(kafka?.pid).toBeGreaterThan(0)
    expect(kafka?.version).toMatch(/^3\.9\.\d+$/)
  })
})
