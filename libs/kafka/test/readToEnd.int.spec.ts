import { Effect } from "effect"
import { type Admin, Kafka, logLevel } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { testKafkaBrokers, uniqueSuffix } from "../../../test/harness/index.ts"
import { CHANGELOG_INPUT_OFFSET_HEADER, readChangelog } from "../src/changelogRestore.ts"
import { readToEnd } from "../src/readToEnd.ts"

let kafka: Kafka
let admin: Admin

beforeAll(async () => {
  kafka = new Kafka({ clientId: "read-to-end-test", brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING })
  admin = kafka.admin()
  await admin.connect()
})
afterAll(async () => {
  await admin.disconnect()
})

const freshTopic = async (partitions: number, compacted = false) => {
  const topic = `read-to-end-${uniqueSuffix()}`
  await admin.createTopics({
    topics: [
      {
        topic,
        numPartitions: partitions,
        configEntries: compacted ? [{ name: "cleanup.policy", value: "compact" }] : []
      }
    ],
    waitForLeaders: true
  })
  return topic
}

/** Writes each group of messages in its own transaction, committed or aborted. */
const writeTransactions = async (
  topic: string,
  transactions: ReadonlyArray<{
    readonly commit: boolean
    readonly messages: ReadonlyArray<{ key: string; value: string | null; partition: number; inputOffset?: number }>
  }>
) => {
  const producer = kafka.producer({ transactionalId: `writer-${uniqueSuffix()}`, maxInFlightRequests: 1 })
  await producer.connect()
  for (const { commit, messages } of transactions) {
    const transaction = await producer.transaction()
    await transaction.send({
      topic,
      messages: messages.map(({ key, value, partition, inputOffset }) => ({
        key,
        value,
        partition,
        headers: inputOffset === undefined ? {} : { [CHANGELOG_INPUT_OFFSET_HEADER]: String(inputOffset) }
      }))
    })
    if (commit) await transaction.commit()
    else await transaction.abort()
  }
  await producer.disconnect()
}

const read = (topic: string, partitions?: ReadonlyArray<number>) => {
  const seen: Array<{ partition: number; offset: string; key: string | undefined; value: string | undefined }> = []
  return Effect.runPromise(
    readToEnd({
      kafka,
      topic,
      ...(partitions === undefined ? {} : { partitions }),
      groupIdPrefix: "read-to-end-test",
      stallTimeoutMs: 20_000,
      onMessages: (partition, messages) => {
        for (const m of messages) {
          seen.push({ partition, offset: m.offset, key: m.key?.toString(), value: m.value?.toString() })
        }
      }
    })
  ).then((ends) => ({ ends, seen }))
}

describe("readToEnd", () => {
  it("reads committed records only and ends at the last stable offset, past trailing commit markers", async () => {
    const topic = await freshTopic(2)
    await writeTransactions(topic, [
      { commit: true, messages: [{ key: "a", value: "a1", partition: 0 }] },
      { commit: false, messages: [{ key: "a", value: "aborted", partition: 0 }] },
      {
        commit: true,
        messages: [
          { key: "b", value: "b1", partition: 0 },
          { key: "c", value: "c1", partition: 1 }
        ]
      },
      // the partition ends with an aborted batch and its marker: nothing the reader is handed
      { commit: false, messages: [{ key: "a", value: "aborted-too", partition: 0 }] }
    ])
    const started = Date.now()
    const { ends, seen } = await read(topic)
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(seen.filter((r) => r.partition === 0).map((r) => r.value)).toEqual(["a1", "b1"])
    expect(seen.filter((r) => r.partition === 1).map((r) => r.value)).toEqual(["c1"])
    // a1, its marker, aborted, its marker, b1, its marker, aborted-too, its marker
    expect(ends).toEqual([
      { partition: 0, endOffset: "8" },
      { partition: 1, endOffset: "2" }
    ])
  })

  it("returns at once for empty partitions and reads only the partitions asked for", async () => {
    const topic = await freshTopic(3)
    await writeTransactions(topic, [{ commit: true, messages: [{ key: "x", value: "x1", partition: 2 }] }])
    const empty = await read(topic, [0, 1])
    expect(empty.seen).toEqual([])
    const only = await read(topic, [2])
    expect(only.seen.map((r) => r.value)).toEqual(["x1"])
  })

  it("does not hand over records committed after the read began", async () => {
    const topic = await freshTopic(1)
    await writeTransactions(topic, [{ commit: true, messages: [{ key: "k", value: "before", partition: 0 }] }])
    const seen: Array<string> = []
    const reading = Effect.runPromise(
      readToEnd({
        kafka,
        topic,
        groupIdPrefix: "read-to-end-test",
        stallTimeoutMs: 20_000,
        onMessages: (_, messages) => {
          for (const m of messages) seen.push(m.value!.toString())
        }
      })
    )
    await writeTransactions(topic, [{ commit: true, messages: [{ key: "k", value: "after", partition: 0 }] }])
    await reading
    expect(seen[0]).toBe("before")
    expect(seen).not.toContain("after")
  })
})

describe("readChangelog", () => {
  it("restores the latest value of every key, forgets tombstoned keys, and reports the greatest input offset", async () => {
    const topic = await freshTopic(2, true)
    await writeTransactions(topic, [
      {
        commit: true,
        messages: [
          { key: "alice", value: "v1", partition: 1, inputOffset: 10 },
          { key: "bob", value: "v1", partition: 1, inputOffset: 10 }
        ]
      },
      { commit: true, messages: [{ key: "alice", value: "v2", partition: 1, inputOffset: 25 }] },
      { commit: false, messages: [{ key: "alice", value: "aborted", partition: 1, inputOffset: 99 }] },
      { commit: true, messages: [{ key: "bob", value: null, partition: 1, inputOffset: 30 }] },
      { commit: true, messages: [{ key: "carol", value: "v1", partition: 1, inputOffset: 31 }] }
    ])
    const [restored] = await Effect.runPromise(
      readChangelog({ kafka, topic, partitions: [1], groupIdPrefix: "read-to-end-test", stallTimeoutMs: 20_000 })
    )
    expect(restored!.partition).toBe(1)
    expect([...restored!.entries].map(([key, entry]) => [key, entry.value.toString(), entry.inputOffset])).toEqual([
      ["alice", "v2", 25n],
      ["carol", "v1", 31n]
    ])
    expect(restored!.maxInputOffset).toBe(31n)
    expect(restored!.recordsRead).toBe(5)
  })
})
