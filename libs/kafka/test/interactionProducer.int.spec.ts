import { EventRejected } from "@xpscore/events"
import { hostileValidIds, invalidSamples, validSamples } from "@xpscore/events/testing"
import { ConfigProvider, Effect, Exit, Layer } from "effect"
import type { Admin, Kafka, KafkaMessage } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { testKafkaBrokers, uniqueSuffix } from "../../../test/harness/index.ts"
import { createInteractionProducer } from "../src/createInteractionProducer.ts"
import { ensureTopics, TopicsMissing, TopicsNotCoPartitioned } from "../src/ensureTopics.ts"
import { InteractionProducer } from "../src/InteractionProducer.ts"
import { makeKafka } from "../src/kafkaClient.ts"
import { topicNames, topicSpecs } from "../src/topics.ts"

let kafka: Kafka
let admin: Admin

beforeAll(async () => {
  kafka = makeKafka({ clientId: "interaction-producer-test", brokers: testKafkaBrokers() })
  admin = kafka.admin()
  await admin.connect()
})
afterAll(async () => {
  await admin.disconnect()
})

const freshTopics = async (partitions = 3) => {
  const names = topicNames(`test-${uniqueSuffix()}.`)
  await Effect.runPromise(ensureTopics(kafka, topicSpecs({ names, partitions, replicationFactor: 1 })))
  return names
}

/** Every record on the topic, read to its high watermarks. */
const readAll = async (topic: string) => {
  const offsets = await admin.fetchTopicOffsets(topic)
  const total = offsets.reduce((sum, p) => sum + Number(p.high), 0)
  const records: Array<KafkaMessage & { partition: number }> = []
  if (total === 0) return { records, total }
  const consumer = kafka.consumer({ groupId: `reader-${uniqueSuffix()}` })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ message, partition }) => {
        records.push({ ...message, partition })
        if (records.length === total) resolve()
      }
    })
  })
  await consumer.disconnect()
  return { records, total }
}

const touchpoint = (subject: string, id: string, quality: number) => ({
  ...validSamples.touchpoint,
  subject,
  id,
  data: { quality }
})

describe("the producer SDK against a real broker", () => {
  it("sends valid events keyed by customer id with the CloudEvents content type, and refuses invalid ones", async () => {
    const names = await freshTopics()
    const producer = await createInteractionProducer({ brokers: testKafkaBrokers(), topic: names.interactions })
    const customers = ["customer-1", "customer-2", ...hostileValidIds.slice(0, 6)]
    const valid = customers.flatMap((subject, c) =>
      Array.from({ length: 5 }, (_, i) => touchpoint(subject, `evt-${c}-${i}`, (i - 2) / 2))
    )
    const refused = await Promise.allSettled(invalidSamples.map((sample) => producer.send(sample.raw)))
    await Promise.all(valid.map((event) => producer.send(event)))
    await producer.close()

    for (const [index, result] of refused.entries()) {
      expect(result.status).toBe("rejected")
      const reason = (result as PromiseRejectedResult).reason
      expect(reason).toBeInstanceOf(EventRejected)
      expect([reason.path, reason.rule]).toEqual([invalidSamples[index]!.path, invalidSamples[index]!.rule])
    }

    const { records, total } = await readAll(names.interactions)
    // the high watermarks count every record ever written: nothing but the valid events
    expect(total).toBe(valid.length)
    const received = records.map((record) => ({
      key: record.key?.toString("utf8"),
      value: JSON.parse(record.value!.toString("utf8")),
      contentType: record.headers?.["content-type"]?.toString(),
      partition: record.partition
    }))
    expect(received.map(({ key, value }) => [key, value]).sort()).toEqual(
      valid.map((event) => [event.subject, event]).sort()
    )
    for (const record of received) {
      expect(record.key).toBe(record.value.subject)
      expect(record.contentType).toBe("application/cloudevents+json")
    }
    for (const subject of customers) {
      const mine = received.filter((record) => record.key === subject)
      // one customer, one partition, in the order sent
      expect(new Set(mine.map((record) => record.partition)).size).toBe(1)
      expect(mine.map((record) => record.value.id)).toEqual(valid.filter((e) => e.subject === subject).map((e) => e.id))
    }
  })

  it("sends text and bytes unchanged", async () => {
    const names = await freshTopics(1)
    const producer = await createInteractionProducer({ brokers: testKafkaBrokers(), topic: names.interactions })
    const text = JSON.stringify(touchpoint("customer-9", "as-text", 0.25))
    const bytes = new TextEncoder().encode(JSON.stringify(touchpoint("customer-9", "as-bytes", -0.25)))
    await producer.send(text)
    await producer.send(bytes)
    await producer.close()
    const { records } = await readAll(names.interactions)
    expect(records.map((record) => record.value?.toString("utf8"))).toEqual([text, new TextDecoder().decode(bytes)])
  })

  it("as an Effect service: validates, sends, and flushes when its scope closes", async () => {
    const names = await freshTopics(2)
    const config = ConfigProvider.layer(
      ConfigProvider.fromEnv({ env: { KAFKA_BROKERS: testKafkaBrokers().join(",") } })
    )
    const outcome = await Effect.runPromise(
      Effect.gen(function* () {
        const producer = yield* InteractionProducer
        const invalid = yield* Effect.exit(producer.send({ ...validSamples.survey, data: { scale: "nps", value: 11 } }))
        yield* Effect.forEach(
          Array.from({ length: 20 }, (_, i) => touchpoint(`c-${i % 4}`, `e-${i}`, 0.1)),
          (event) => producer.send(event),
          { concurrency: "unbounded" }
        )
        return { topic: producer.topic, invalid }
      }).pipe(Effect.provide(InteractionProducer.layerWith({ topic: names.interactions }).pipe(Layer.provide(config))))
    )
    expect(outcome.topic).toBe(names.interactions)
    expect(Exit.isFailure(outcome.invalid) && String(outcome.invalid.cause)).toContain("data.value: range")
    expect((await readAll(names.interactions)).total).toBe(20)
  })

  it("refuses to start on a topic that does not exist, saying how to create it", async () => {
    const missing = `missing-${uniqueSuffix()}`
    const failure = await createInteractionProducer({ brokers: testKafkaBrokers(), topic: missing }).catch((e) => e)
    expect(failure).toBeInstanceOf(TopicsMissing)
    expect(failure.message).toContain(missing)
    expect(failure.message).toContain("xpscore topics create")
  })
})

describe("creating topics", () => {
  it("creates what is missing once, compacts the changelog, and reports existing topics the second time", async () => {
    const names = topicNames(`test-${uniqueSuffix()}.`)
    const specs = topicSpecs({ names, partitions: 3, replicationFactor: 1 })
    const first = await Effect.runPromise(ensureTopics(kafka, specs))
    const second = await Effect.runPromise(ensureTopics(kafka, specs))
    expect(first.map((topic) => [topic.name, topic.partitions, topic.created])).toEqual([
      [names.interactions, 3, true],
      [names.scores, 3, true],
      [names.scorerState, 3, true],
      [names.deadLetters, 1, true]
    ])
    expect(second.every((topic) => !topic.created)).toBe(true)
    const described = await admin.describeConfigs({
      resources: [{ type: 2, name: names.scorerState, configNames: ["cleanup.policy"] }],
      includeSynonyms: false
    })
    expect(described.resources[0]?.configEntries[0]?.configValue).toBe("compact")
  })

  it("creates the changelog with as many partitions as the existing interactions topic", async () => {
    const names = topicNames(`test-${uniqueSuffix()}.`)
    await admin.createTopics({ topics: [{ topic: names.interactions, numPartitions: 4 }], waitForLeaders: true })
    const topics = await Effect.runPromise(
      ensureTopics(kafka, topicSpecs({ names, partitions: 6, replicationFactor: 1 }))
    )
    expect(topics.find((topic) => topic.name === names.scorerState)?.partitions).toBe(4)
    expect(topics.find((topic) => topic.name === names.scores)?.partitions).toBe(6)
  })

  it("refuses a changelog that is not co-partitioned with interactions", async () => {
    const names = topicNames(`test-${uniqueSuffix()}.`)
    await admin.createTopics({
      topics: [
        { topic: names.interactions, numPartitions: 3 },
        { topic: names.scorerState, numPartitions: 2 }
      ],
      waitForLeaders: true
    })
    const error = await Effect.runPromise(
      Effect.flip(ensureTopics(kafka, topicSpecs({ names, partitions: 3, replicationFactor: 1 })))
    )
    expect(error).toBeInstanceOf(TopicsNotCoPartitioned)
    expect(error.message).toContain(
      `${names.scorerState} has 2 partitions but must have as many as ${names.interactions} (3)`
    )
  })

  it("is safe to run concurrently", async () => {
    const names = topicNames(`test-${uniqueSuffix()}.`)
    const specs = topicSpecs({ names, partitions: 2, replicationFactor: 1 })
    const runs = await Promise.all([1, 2, 3].map(() => Effect.runPromise(ensureTopics(kafka, specs))))
    for (const run of runs) expect(run.map((topic) => topic.partitions)).toEqual([2, 2, 2, 1])
  })
})
