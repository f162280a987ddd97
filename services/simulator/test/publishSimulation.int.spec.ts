import { currentRegistry, decodeEvent } from "@xpscore/events"
import { ensureTopics, InteractionProducer, makeKafka, topicNames, topicSpecs } from "@xpscore/kafka"
import { ConfigProvider, Effect, Layer, Result } from "effect"
import type { Kafka } from "kafkajs"
import { beforeAll, describe, expect, it } from "vitest"
import { testKafkaBrokers, uniqueSuffix } from "../../../test/harness/index.ts"
import { publishSimulation, recordBytes, simulationRecords, withSimulationDefaults } from "../src/index.ts"

let kafka: Kafka

beforeAll(() => {
  kafka = makeKafka({ clientId: "simulator-test", brokers: testKafkaBrokers() })
})

interface Received {
  readonly partition: number
  readonly key: string
  readonly value: Buffer
  readonly contentType: string | undefined
}

/** Every record on `topic`, up to its high watermarks, with partition, key, value and content type. */
const readAll = async (topic: string): Promise<Array<Received>> => {
  const admin = kafka.admin()
  await admin.connect()
  const offsets = await admin.fetchTopicOffsets(topic)
  await admin.disconnect()
  const total = offsets.reduce((sum, p) => sum + Number(p.high), 0)
  const received: Array<Received & { offset: number }> = []
  const consumer = kafka.consumer({ groupId: `reader-${uniqueSuffix()}`, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        received.push({
          partition,
          offset: Number(message.offset),
          key: message.key!.toString("utf8"),
          value: message.value!,
          contentType: message.headers?.["content-type"]?.toString()
        })
        if (received.length === total) resolve()
      }
    })
  })
  await consumer.disconnect()
  return received.sort((a, b) => a.partition - b.partition || a.offset - b.offset)
}

describe("publishing a simulation to Kafka", () => {
  it("delivers every record keyed by its customer, in the customer's order, paced by the rate", async () => {
    const names = topicNames(`sim${uniqueSuffix()}.`)
    await Effect.runPromise(ensureTopics(kafka, topicSpecs({ names, partitions: 3, replicationFactor: 1 })))
    const options = withSimulationDefaults({
      customers: 40,
      days: 20,
      seed: 11,
      startMs: Date.UTC(2024, 4, 1),
      duplicateRate: 0.05,
      lateRate: 0.05,
      invalidRate: 0.05
    })
    const expected = [...simulationRecords(options)]
    const rate = 1_500
    const progress: Array<number> = []
    const config = ConfigProvider.layer(
      ConfigProvider.fromEnv({ env: { KAFKA_BROKERS: testKafkaBrokers().join(",") } })
    )
    const result = await Effect.runPromise(
      publishSimulation(options, { ratePerSecond: rate, onProgress: (p) => progress.push(p.sent) }).pipe(
        Effect.provide(InteractionProducer.layerWith({ topic: names.interactions }).pipe(Layer.provideMerge(config)))
      )
    )

    expect(result.topic).toBe(names.interactions)
    expect(result.summary.records).toBe(expected.length)
    expect(result.summary.invalid.total).toBeGreaterThan(10)
    expect(progress.at(-1)).toBe(expected.length)
    // a token bucket of 50 ms: nothing may go faster than the rate beyond that first burst
    expect(result.elapsedMs).toBeGreaterThanOrEqual(((expected.length - rate / 20) / rate) * 1000 - 5)

    const received = await readAll(names.interactions)
    expect(received).toHaveLength(result.summary.records)
    const partitionOf = new Map<string, number>()
    for (const record of received) {
      // one customer, one partition: what the scorer's per-customer state relies on
      expect(partitionOf.get(record.key) ?? record.partition).toBe(record.partition)
      partitionOf.set(record.key, record.partition)
      expect(record.contentType).toBe("application/cloudevents+json")
      const decoded = decodeEvent(currentRegistry, record.value)
      if (Result.isSuccess(decoded)) expect(decoded.success.subject).toBe(record.key)
    }
    // each customer's events and duplicates arrive byte for byte in the simulated order; the broken
    // records (sent by a second producer, past validation) all arrive, in their partition
    const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64")
    for (const customer of new Set(expected.map((record) => record.customerId))) {
      const mine = expected.filter((record) => record.customerId === customer)
      const got = received.filter((record) => record.key === customer)
      const isValid = (value: Uint8Array) => Result.isSuccess(decodeEvent(currentRegistry, value))
      expect(got.filter((r) => isValid(r.value)).map((r) => base64(r.value))).toEqual(
        mine.filter((r) => r.kind !== "invalid").map((r) => base64(recordBytes(r)))
      )
      expect(
        got
          .filter((r) => !isValid(r.value))
          .map((r) => base64(r.value))
          .sort()
      ).toEqual(
        mine
          .filter((r) => r.kind === "invalid")
          .map((r) => base64(recordBytes(r)))
          .sort()
      )
    }
  })
})
