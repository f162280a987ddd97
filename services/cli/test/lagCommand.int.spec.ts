import { ensureTopics, makeKafka, type TopicNames, topicNames, topicSpecs } from "@xpscore/kafka"
import { Effect } from "effect"
import type { Admin, Kafka } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { testKafkaBrokers, uniqueSuffix } from "../../../test/harness/index.ts"
import { xpscore, xpscoreJson } from "./cliProcess.ts"

let kafka: Kafka
let admin: Admin
let names: TopicNames
let env: Record<string, string>

beforeAll(async () => {
  kafka = makeKafka({ clientId: "lag-test", brokers: testKafkaBrokers() })
  admin = kafka.admin()
  await admin.connect()
  const prefix = `lag${uniqueSuffix()}.`
  names = topicNames(prefix)
  await Effect.runPromise(ensureTopics(kafka, topicSpecs({ names, partitions: 3, replicationFactor: 1 })))
  env = { XPSCORE_TOPIC_PREFIX: prefix, KAFKA_BROKERS: testKafkaBrokers().join(",") }
})
afterAll(async () => {
  await admin.disconnect()
})

/** Writes `records` records in one transaction, spread over customers, then commits or aborts it. */
const transaction = async (records: number, outcome: "commit" | "abort") => {
  const producer = kafka.producer({
    transactionalId: `lag-test-${uniqueSuffix()}`,
    idempotent: true,
    maxInFlightRequests: 1
  })
  await producer.connect()
  const tx = await producer.transaction()
  await tx.send({
    topic: names.interactions,
    messages: Array.from({ length: records }, (_, i) => ({ key: `customer-${i % 7}`, value: `record-${i}` }))
  })
  await (outcome === "commit" ? tx.commit() : tx.abort())
  await producer.disconnect()
}

/** Consumes (read_committed) until `count` records arrived, committing as it goes, then leaves the group. */
const consumeAll = async (groupId: string, count: number) => {
  const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topic: names.interactions, fromBeginning: true })
  let received = 0
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async () => {
        received++
        if (received === count) resolve()
      }
    })
  })
  await consumer.disconnect()
  return received
}

const naiveLag = async (groupId: string) => {
  const [committed] = await admin.fetchOffsets({ groupId, topics: [names.interactions] })
  const ends = await admin.fetchTopicOffsets(names.interactions)
  return ends.reduce((sum, end) => {
    const offset = Number(committed!.partitions.find((p) => p.partition === end.partition)!.offset)
    return sum + Number(end.high) - Math.max(0, offset)
  }, 0)
}

interface LagJson {
  readonly groups: ReadonlyArray<{
    readonly groupId: string
    readonly state: string
    readonly totalLag: number
    readonly partitions: ReadonlyArray<{
      readonly topic: string
      readonly partition: number
      readonly committed: number | null
      readonly endOffset: number
      readonly lag: number
      readonly exact: boolean
    }>
  }>
  readonly totalLag: number
}

describe("xpscore lag on a transactional topic", () => {
  it("shows 0 for a group that consumed everything, though end − committed counts the commit markers", async () => {
    await transaction(12, "commit")
    await transaction(5, "abort")
    await transaction(9, "commit")
    const groupId = `lag-group-${uniqueSuffix()}`
    expect(await consumeAll(groupId, 21)).toBe(21)
    // the caveat is real: markers and aborted records sit between the committed offsets and the ends
    expect(await naiveLag(groupId)).toBeGreaterThan(0)

    const lag = await xpscoreJson<LagJson>(["lag", "--group", groupId, "--json"], env)
    expect(lag.totalLag).toBe(0)
    expect(lag.groups).toHaveLength(1)
    const [group] = lag.groups
    expect(group!.groupId).toBe(groupId)
    expect(group!.state).toBe("Empty")
    expect(group!.partitions.map((p) => p.partition)).toEqual([0, 1, 2])
    for (const partition of group!.partitions) {
      expect(partition).toMatchObject({ topic: names.interactions, lag: 0, exact: true })
      expect(partition.committed).not.toBeNull()
      expect(partition.endOffset).toBeGreaterThan(partition.committed!)
    }

    // without --group it finds the groups that consume the topics of this deployment
    const discovered = await xpscoreJson<LagJson>(["lag", "--json"], env)
    expect(discovered.groups.map((g) => g.groupId)).toEqual([groupId])

    // then new committed records are lag, aborted ones are not
    await transaction(7, "commit")
    await transaction(4, "abort")
    const behind = await xpscoreJson<LagJson>(["lag", "--group", groupId, "--json"], env)
    expect(behind.totalLag).toBe(7)
    expect(behind.groups[0]!.partitions.every((p) => p.exact)).toBe(true)
    expect(await naiveLag(groupId)).toBeGreaterThan(7)

    const text = await xpscore(["lag", "--group", groupId], env)
    expect(text.code).toBe(0)
    expect(text.stdout).toContain(`${groupId}  (Empty, 0 members)  lag 7 records`)
    const header = text.stdout.split("\n").find((line) => line.includes("committed"))!
    expect(header).toMatch(/^ {2}topic +partition +committed +end offset +lag$/)
    expect(text.stdout).toMatch(/transaction markers or aborted records/)
  })

  it("reports a group without offsets here, and says so when the topics do not exist", async () => {
    const lag = await xpscoreJson<LagJson>(["lag", "--group", `never-${uniqueSuffix()}`, "--json"], env)
    expect(lag.groups[0]).toMatchObject({ state: "Dead", totalLag: 0, partitions: [] })

    const missing = await xpscore(["lag"], { ...env, XPSCORE_TOPIC_PREFIX: `absent${uniqueSuffix()}.` })
    expect(missing.code).toBe(0)
    expect(missing.stdout).toMatch(/do not exist yet; create them with \.\/xpscore topics create/)
  })
})
