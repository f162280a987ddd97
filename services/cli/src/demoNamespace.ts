import { ClickHouse, dropDatabaseStatement } from "@xpscore/clickhouse"
import { DEFAULT_TOPIC_PREFIX, type TopicNames, TopicPrefix, topicNames } from "@xpscore/kafka"
import { Config, Effect, Option, Schema } from "effect"
import type { Kafka } from "kafkajs"
import { adminCall, withAdmin } from "./kafkaAdmin.ts"

/**
 * Where the demo runs: its own topic prefix, database and consumer groups,
 * so it never touches a deployment's data, and every run starts clean.
 *
 * The demo owns this namespace: each run deletes its four topics, its two
 * consumer groups and its database, then creates them anew ("clean reuse":
 * re-running works, nothing accumulates, and the names stay the same, so
 * the follow-up commands it prints keep working). XPSCORE_TOPIC_PREFIX,
 * XPSCORE_CLICKHOUSE_DATABASE and the group variables move it elsewhere,
 * but never onto the deployment defaults (`xp.`, `xpscore`).
 */
export interface DemoNamespace {
  readonly prefix: string
  readonly topics: TopicNames
  readonly database: string
  readonly scorerGroup: string
  readonly projectorGroup: string
  /** XPSCORE_TOPIC_MODEL_VERSION, which the demo refuses */
  readonly modelVersion: Option.Option<string>
}

export const DEMO_TOPIC_PREFIX = "xp.demo."
export const DEMO_DATABASE = "xpscore_demo"
const DEPLOYMENT_DATABASE = "xpscore"

export class DemoNamespaceRefused extends Schema.TaggedError<DemoNamespaceRefused>()("DemoNamespaceRefused", {
  variable: Schema.String,
  value: Schema.String
}) {
  override get message() {
    return this.variable === "XPSCORE_TOPIC_MODEL_VERSION"
      ? `${this.variable}=${this.value} names a candidate model version's topics; the demo runs on its own: unset it`
      : `${this.variable}=${this.value} is the default deployment's; the demo deletes and recreates what it runs on, so it keeps to its own (unset ${this.variable}, or choose another value)`
  }
}

export class DemoNamespaceBusy extends Schema.TaggedError<DemoNamespaceBusy>()("DemoNamespaceBusy", {
  groupId: Schema.String,
  members: Schema.Int
}) {
  override get message() {
    return `consumer group ${this.groupId} of the demo has ${this.members} live member${this.members === 1 ? "" : "s"} (an \`xpscore run\` on the demo's settings?): stop it before re-running the demo`
  }
}

/** The demo's namespace: what the environment names, else its own. */
export const demoNamespaceConfig = Config.all({
  prefix: Config.schema(TopicPrefix, "XPSCORE_TOPIC_PREFIX").pipe(Config.withDefault(DEMO_TOPIC_PREFIX)),
  database: Config.String("XPSCORE_CLICKHOUSE_DATABASE").pipe(Config.withDefault(DEMO_DATABASE)),
  scorerGroup: Config.String("XPSCORE_SCORER_GROUP_ID").pipe(Config.option),
  projectorGroup: Config.String("XPSCORE_PROJECTOR_GROUP_ID").pipe(Config.option),
  modelVersion: Config.String("XPSCORE_TOPIC_MODEL_VERSION").pipe(Config.option)
}).pipe(
  Config.map(
    ({ prefix, database, scorerGroup, projectorGroup, modelVersion }): DemoNamespace => ({
      prefix,
      topics: topicNames(prefix),
      database,
      scorerGroup: Option.getOrElse(scorerGroup, () => `${prefix}scorer`),
      projectorGroup: Option.getOrElse(projectorGroup, () => `${prefix}projector`),
      modelVersion
    })
  )
)

/** Refuses the deployment defaults as a demo namespace, and a candidate model version's topics. */
export const checkDemoNamespace = (namespace: DemoNamespace) =>
  Option.isSome(namespace.modelVersion)
    ? Effect.fail(
        new DemoNamespaceRefused({ variable: "XPSCORE_TOPIC_MODEL_VERSION", value: namespace.modelVersion.value })
      )
    : namespace.prefix === DEFAULT_TOPIC_PREFIX
      ? Effect.fail(new DemoNamespaceRefused({ variable: "XPSCORE_TOPIC_PREFIX", value: namespace.prefix }))
      : namespace.database === DEPLOYMENT_DATABASE
        ? Effect.fail(new DemoNamespaceRefused({ variable: "XPSCORE_CLICKHOUSE_DATABASE", value: namespace.database }))
        : Effect.succeed(namespace)

/** The settings that put services and commands on the namespace (what `demo.env` exports too). */
export const namespaceSettings = (namespace: DemoNamespace): Readonly<Record<string, string>> => ({
  XPSCORE_TOPIC_PREFIX: namespace.prefix,
  XPSCORE_CLICKHOUSE_DATABASE: namespace.database,
  XPSCORE_SCORER_GROUP_ID: namespace.scorerGroup,
  XPSCORE_PROJECTOR_GROUP_ID: namespace.projectorGroup
})

const sleep = (ms: number) => Effect.sleep(ms)

/**
 * Deletes the namespace's topics (waiting until the broker has forgotten
 * them, so they can be created again), its consumer groups and its
 * database. Refuses while a consumer group has members.
 */
export const clearDemoNamespace = (kafka: Kafka, namespace: DemoNamespace) =>
  Effect.gen(function* () {
    const names = Object.values(namespace.topics)
    yield* withAdmin(kafka, (admin) =>
      Effect.gen(function* () {
        const groups = [namespace.scorerGroup, namespace.projectorGroup]
        const { groups: described } = yield* adminCall("describe the demo's consumer groups", () =>
          admin.describeGroups(groups)
        )
        for (const group of described) {
          if (group.members.length > 0) {
            return yield* new DemoNamespaceBusy({ groupId: group.groupId, members: group.members.length })
          }
        }
        const existingGroups = described.filter((g) => g.state !== "Dead").map((g) => g.groupId)
        if (existingGroups.length > 0) {
          yield* adminCall("delete the demo's consumer groups", () => admin.deleteGroups(existingGroups)).pipe(
            Effect.ignore
          )
        }
        const existing = (yield* adminCall("list topics", () => admin.listTopics())).filter((t) => names.includes(t))
        if (existing.length === 0) return
        yield* adminCall("delete the demo's topics", () => admin.deleteTopics({ topics: existing, timeout: 30_000 }))
        for (let waited = 0; ; waited += 250) {
          const left = (yield* adminCall("list topics", () => admin.listTopics())).filter((t) => names.includes(t))
          if (left.length === 0) break
          if (waited > 60_000) {
            return yield* adminCall(`delete ${left.join(", ")}`, () =>
              Promise.reject(new Error("the broker still lists them after a minute"))
            )
          }
          yield* sleep(250)
        }
      })
    )
    const clickhouse = yield* ClickHouse
    yield* clickhouse.command(dropDatabaseStatement(namespace.database))
  })
