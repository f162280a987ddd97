import { type Config, ConfigProvider, Effect } from "effect"
import { describe, expect, it } from "vitest"
import { modelVersionTopicNames, topicLayoutConfig, topicNames, topicNamesConfig, topicSpecs } from "../src/topics.ts"

const withEnv = <A, E>(env: Record<string, string>, effect: Effect.Effect<A, E>) =>
  Effect.runPromise(effect.pipe(Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env })))))

const read = <A>(config: Config.Config<A>) =>
  Effect.gen(function* () {
    return yield* config
  })

describe("topic names", () => {
  it("are xp.interactions, xp.scores, xp.scorer-state and xp.dead-letters by default", async () => {
    expect(await withEnv({}, read(topicNamesConfig))).toEqual({
      interactions: "xp.interactions",
      scores: "xp.scores",
      scorerState: "xp.scorer-state",
      deadLetters: "xp.dead-letters"
    })
  })

  it("take the prefix of XPSCORE_TOPIC_PREFIX", async () => {
    expect(await withEnv({ XPSCORE_TOPIC_PREFIX: "staging.xp-" }, read(topicNamesConfig))).toEqual(
      topicNames("staging.xp-")
    )
  })

  it("of a candidate model version (XPSCORE_TOPIC_MODEL_VERSION) carry its label, except the shared interactions", async () => {
    expect(
      await withEnv(
        { XPSCORE_TOPIC_PREFIX: "xp.", XPSCORE_TOPIC_MODEL_VERSION: "m1-0123456789ab" },
        read(topicNamesConfig)
      )
    ).toEqual({
      interactions: "xp.interactions",
      scores: "xp.scores.m1-0123456789ab",
      scorerState: "xp.scorer-state.m1-0123456789ab",
      deadLetters: "xp.dead-letters.m1-0123456789ab"
    })
    expect(modelVersionTopicNames("xp.", "m1-0123456789ab")).toEqual(
      await withEnv({ XPSCORE_TOPIC_MODEL_VERSION: "m1-0123456789ab" }, read(topicNamesConfig))
    )
    const failure = await withEnv({ XPSCORE_TOPIC_MODEL_VERSION: "m1.x" }, read(topicNamesConfig).pipe(Effect.flip))
    expect(String(failure)).toContain("XPSCORE_TOPIC_MODEL_VERSION")
  })

  it("refuse a prefix Kafka would not accept, naming the variable", async () => {
    const failure = await withEnv({ XPSCORE_TOPIC_PREFIX: "xp/" }, read(topicNamesConfig).pipe(Effect.flip))
    expect(String(failure)).toContain("XPSCORE_TOPIC_PREFIX")
  })
})

describe("topic specs", () => {
  const specs = (env: Record<string, string>) =>
    withEnv(env, read(topicLayoutConfig)).then((layout) => new Map(topicSpecs(layout).map((spec) => [spec.name, spec])))

  it("give interactions, scores and the state changelog 6 partitions, co-partitioning the changelog", async () => {
    const byName = await specs({})
    expect([...byName.keys()]).toEqual(["xp.interactions", "xp.scores", "xp.scorer-state", "xp.dead-letters"])
    for (const name of ["xp.interactions", "xp.scores", "xp.scorer-state"])
      expect(byName.get(name)?.numPartitions).toBe(6)
    expect(byName.get("xp.scorer-state")?.coPartitionedWith).toBe("xp.interactions")
    expect(byName.get("xp.dead-letters")?.numPartitions).toBe(1)
  })

  it("compact the changelog and keep the logs", async () => {
    const byName = await specs({})
    expect(byName.get("xp.scorer-state")?.configEntries["cleanup.policy"]).toBe("compact")
    for (const name of ["xp.interactions", "xp.scores", "xp.dead-letters"]) {
      expect(byName.get(name)?.configEntries).toMatchObject({ "cleanup.policy": "delete", "retention.ms": "-1" })
    }
  })

  it("follow XPSCORE_TOPIC_PARTITIONS and XPSCORE_TOPIC_REPLICATION_FACTOR", async () => {
    const byName = await specs({ XPSCORE_TOPIC_PARTITIONS: "12", XPSCORE_TOPIC_REPLICATION_FACTOR: "3" })
    expect(byName.get("xp.interactions")).toMatchObject({ numPartitions: 12, replicationFactor: 3 })
    expect(byName.get("xp.interactions")?.configEntries["min.insync.replicas"]).toBe("2")
  })
})
