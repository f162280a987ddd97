import { Kafka, logLevel } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { testKafkaBrokers, uniqueSuffix } from "../../../test/harness/index.ts"
import { kafkajsCeiling, platformaticCeiling } from "../src/consumptionCeiling.ts"

const RECORDS = 3_000
const PARTITIONS = 3
const kafka = new Kafka({ clientId: "ceiling-test", brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING })
const admin = kafka.admin()
const topic = `ceiling-${uniqueSuffix()}`

beforeAll(async () => {
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true })
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({
    topic,
    messages: Array.from({ length: RECORDS }, (_, i) => ({ key: `c${i % 97}`, value: `{"n":${i}}` }))
  })
  await producer.disconnect()
})
afterAll(async () => {
  await admin.deleteTopics({ topics: [topic] })
  await admin.disconnect()
})

// An input this small comes in one fetch: the clock must still have something to time.
describe("the consumption ceilings on an input of one fetch", () => {
  it("kafkajs counts every record over the time from its first fetch request", async () => {
    const figure = await kafkajsCeiling(kafka, {
      topic,
      groupId: `ceiling-kafkajs-${uniqueSuffix()}`,
      records: RECORDS,
      partitions: PARTITIONS
    })
    expect(figure.records).toBe(RECORDS)
    expect(figure.seconds).toBeGreaterThan(0)
    expect(figure.eventsPerSecond).toBeCloseTo(RECORDS / figure.seconds, 6)
    // the bench once printed 61 M/s here, the first fetch's records handed over in no time at all
    expect(figure.eventsPerSecond).toBeLessThan(10_000_000)
  })

  it("@platformatic/kafka counts every record over the time from its first fetch request", async () => {
    const figure = await platformaticCeiling({
      brokers: testKafkaBrokers(),
      topic,
      groupId: `ceiling-platformatic-${uniqueSuffix()}`,
      records: RECORDS
    })
    expect(figure.records).toBe(RECORDS)
    expect(figure.seconds).toBeGreaterThan(0)
    expect(figure.eventsPerSecond).toBeCloseTo(RECORDS / figure.seconds, 6)
    expect(figure.eventsPerSecond).toBeLessThan(10_000_000)
  })
})
