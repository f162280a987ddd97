import { makeKafka, topicNames } from "@xpscore/kafka"
import { describe, expect, it } from "vitest"
import { testKafkaBrokers, uniqueSuffix } from "../../../test/harness/index.ts"
import { xpscore, xpscoreJson } from "./cliProcess.ts"

interface CreatedJson {
  readonly topics: ReadonlyArray<{
    readonly name: string
    readonly created: boolean
    readonly partitions: number
    readonly replicationFactor: number
  }>
}

interface DescribedJson {
  readonly topics: ReadonlyArray<{
    readonly name: string
    readonly exists: boolean
    readonly partitions: number | null
    readonly replicationFactor: number | null
    readonly configs: Readonly<Record<string, string>>
    readonly drift: ReadonlyArray<{ readonly setting: string; readonly expected: string; readonly actual: string }>
    readonly partitionDetails: ReadonlyArray<{
      readonly partition: number
      readonly leader: number
      readonly replicas: ReadonlyArray<number>
      readonly inSync: ReadonlyArray<number>
      readonly highWatermark: number
    }>
  }>
}

const envFor = (prefix: string, extra: Record<string, string> = {}) => ({
  XPSCORE_TOPIC_PREFIX: prefix,
  KAFKA_BROKERS: testKafkaBrokers().join(","),
  ...extra
})

describe("xpscore topics", () => {
  it("create is idempotent, and describe shows partitions, replication, retention and the compacted changelog", async () => {
    const prefix = `topics${uniqueSuffix()}.`
    const names = topicNames(prefix)
    const env = envFor(prefix)

    const before = await xpscoreJson<DescribedJson>(["topics", "describe", "--json"], env)
    expect(before.topics.map((t) => [t.name, t.exists])).toEqual(
      [names.interactions, names.scores, names.scorerState, names.deadLetters].map((name) => [name, false])
    )

    const first = await xpscoreJson<CreatedJson>(["topics", "create", "--json"], env)
    expect(first.topics.map((t) => [t.name, t.created, t.partitions])).toEqual([
      [names.interactions, true, 6],
      [names.scores, true, 6],
      [names.scorerState, true, 6],
      [names.deadLetters, true, 1]
    ])
    const second = await xpscoreJson<CreatedJson>(["topics", "create", "--json"], env)
    expect(second.topics.map((t) => [t.name, t.created, t.partitions])).toEqual(
      first.topics.map((t) => [t.name, false, t.partitions])
    )
    const text = await xpscore(["topics", "create"], env)
    expect(text.code).toBe(0)
    expect(text.stdout).toContain("all topics existed already; nothing changed")

    const described = await xpscoreJson<DescribedJson>(["topics", "describe", "--json"], env)
    const byName = new Map(described.topics.map((t) => [t.name, t]))
    const changelog = byName.get(names.scorerState)!
    expect(changelog).toMatchObject({ exists: true, partitions: 6, replicationFactor: 1, drift: [] })
    expect(changelog.configs).toMatchObject({
      "cleanup.policy": "compact",
      "segment.ms": "3600000",
      "min.cleanable.dirty.ratio": "0.1",
      "delete.retention.ms": "86400000"
    })
    for (const name of [names.interactions, names.scores, names.deadLetters]) {
      expect(byName.get(name)!.configs).toMatchObject({ "cleanup.policy": "delete", "retention.ms": "-1" })
      expect(byName.get(name)!.drift).toEqual([])
    }
    const interactions = byName.get(names.interactions)!
    expect(interactions.partitionDetails.map((p) => p.partition)).toEqual([0, 1, 2, 3, 4, 5])
    for (const partition of interactions.partitionDetails) {
      expect(partition.highWatermark).toBe(0)
      expect(partition.replicas).toEqual([partition.leader])
      expect(partition.inSync).toEqual([partition.leader])
    }

    const table = await xpscore(["topics", "describe"], env)
    expect(table.code).toBe(0)
    const changelogLine = table.stdout.split("\n").find((line) => line.startsWith(`${names.scorerState} `))!
    expect(changelogLine).toMatch(
      /\s6\s+1\s+1\s+compact\s+latest per key\s+0\s+segment\.ms=1 h, min\.cleanable\.dirty\.ratio=0\.1/
    )
    const header = table.stdout.split("\n")[0]!
    expect(header).toMatch(/^topic +partitions +replication +min ISR +cleanup +retention +offsets +settings$/)
    expect(table.stdout).toContain("high watermark")
  })

  it("creates with the configured partition count, and describe points out a topic that differs from the spec", async () => {
    const prefix = `topics${uniqueSuffix()}.`
    const names = topicNames(prefix)
    const kafka = makeKafka({ clientId: "topics-test", brokers: testKafkaBrokers() })
    const admin = kafka.admin()
    await admin.connect()
    // someone made the scores topic by hand, with the wrong settings
    await admin.createTopics({
      waitForLeaders: true,
      topics: [{ topic: names.scores, numPartitions: 2, configEntries: [{ name: "retention.ms", value: "3600000" }] }]
    })
    await admin.disconnect()

    const env = envFor(prefix, { XPSCORE_TOPIC_PARTITIONS: "3" })
    const created = await xpscoreJson<CreatedJson>(["topics", "create", "--json"], env)
    expect(created.topics.map((t) => [t.name, t.created, t.partitions])).toEqual([
      [names.interactions, true, 3],
      [names.scores, false, 2],
      [names.scorerState, true, 3],
      [names.deadLetters, true, 1]
    ])
    const described = await xpscoreJson<DescribedJson>(["topics", "describe", "--json"], env)
    const scores = described.topics.find((t) => t.name === names.scores)!
    expect(scores.drift).toEqual([
      { setting: "partitions", expected: "3", actual: "2" },
      { setting: "retention.ms", expected: "-1", actual: "3600000" }
    ])
    const text = await xpscore(["topics", "describe"], env)
    expect(text.stdout).toContain(`${names.scores}: retention.ms is 3600000, xpscore creates it with -1`)
  })
})
