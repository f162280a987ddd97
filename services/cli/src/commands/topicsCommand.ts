import { ensureTopics, kafkaClient, type TopicSpec, topicLayoutConfig, topicSpecs } from "@xpscore/kafka"
import { Console, Effect, Logger } from "effect"
import { Command, Flag } from "effect/cli"
import { formatCount, formatMillisSetting } from "../quantityFormat.ts"
import { formatTable } from "../terminalTable.ts"
import { describeTopics, type PartitionDescription, type TopicDescription } from "../topicDescription.ts"

const json = Flag.Boolean("json").pipe(Flag.withDefault(false), Flag.withDescription("Print machine-readable JSON"))

const specsFromConfig = Effect.map(topicLayoutConfig, topicSpecs)

const retentionOf = (configs: Readonly<Record<string, string>>) =>
  configs["cleanup.policy"]?.includes("compact") && !configs["cleanup.policy"]?.includes("delete")
    ? "latest per key"
    : formatMillisSetting(configs["retention.ms"])

/** The settings the topic's spec sets beyond cleanup, retention and min ISR, as `name=value`. */
const otherSettings = (configs: Readonly<Record<string, string>>, spec: TopicSpec | undefined) =>
  Object.entries(configs)
    .filter(([name]) => !["cleanup.policy", "retention.ms", "min.insync.replicas"].includes(name))
    .filter(([name]) => spec !== undefined && name in spec.configEntries)
    .map(([name, value]) => `${name}=${name.endsWith(".ms") ? formatMillisSetting(value) : value}`)
    .join(", ")

const createSummary = (
  specs: ReadonlyArray<TopicSpec>,
  created: ReadonlyMap<string, { partitions: number; created: boolean }>
) =>
  formatTable(
    [
      { header: "topic", value: (spec: TopicSpec) => spec.name },
      { header: "partitions", align: "right", value: (spec) => String(created.get(spec.name)?.partitions ?? "") },
      { header: "replication", align: "right", value: (spec) => String(spec.replicationFactor) },
      { header: "cleanup", value: (spec) => spec.configEntries["cleanup.policy"] ?? "delete" },
      { header: "retention", value: (spec) => retentionOf(spec.configEntries) },
      { header: "status", value: (spec) => (created.get(spec.name)?.created ? "created" : "exists") },
      { header: "purpose", value: (spec) => spec.purpose }
    ],
    specs
  )

const create = Command.make("create", { json }, ({ json }) =>
  Effect.gen(function* () {
    const specs = yield* specsFromConfig
    const kafka = yield* kafkaClient("xpscore-topics")
    const statuses = yield* ensureTopics(kafka, specs)
    if (json) {
      yield* Console.log(
        JSON.stringify({
          topics: specs.map((spec) => {
            const status = statuses.find((s) => s.name === spec.name)!
            return {
              name: spec.name,
              created: status.created,
              partitions: status.partitions,
              replicationFactor: spec.replicationFactor,
              configs: spec.configEntries,
              purpose: spec.purpose
            }
          })
        })
      )
      return
    }
    const byName = new Map(statuses.map((s) => [s.name, s]))
    const createdCount = statuses.filter((s) => s.created).length
    yield* Console.log(createSummary(specs, byName))
    yield* Console.log(
      `\n${createdCount === 0 ? "all topics existed already; nothing changed" : `created ${createdCount} of ${specs.length} topics`} (partitions: XPSCORE_TOPIC_PARTITIONS, replication: XPSCORE_TOPIC_REPLICATION_FACTOR, names: XPSCORE_TOPIC_PREFIX)`
    )
  }).pipe(Effect.provideService(Logger.LogToStderr, true))
).pipe(
  Command.withDescription(
    "Create xpscore's topics with the partitions, replication and settings the guarantees rest on (retained logs, a compacted state changelog co-partitioned with the interactions); idempotent: existing topics are left as they are"
  )
)

const describeText = (topics: ReadonlyArray<TopicDescription>, specs: ReadonlyArray<TopicSpec>) => {
  const summary = formatTable(
    [
      { header: "topic", value: (t: TopicDescription) => t.name },
      { header: "partitions", align: "right", value: (t) => (t.exists ? String(t.partitions) : "missing") },
      { header: "replication", align: "right", value: (t) => (t.exists ? String(t.replicationFactor) : "") },
      { header: "min ISR", align: "right", value: (t) => t.configs["min.insync.replicas"] ?? "" },
      { header: "cleanup", value: (t) => t.configs["cleanup.policy"] ?? "" },
      { header: "retention", value: (t) => (t.exists ? retentionOf(t.configs) : "") },
      { header: "offsets", align: "right", value: (t) => (t.exists ? formatCount(t.offsets) : "") },
      {
        header: "settings",
        value: (t) =>
          otherSettings(
            t.configs,
            specs.find((spec) => spec.name === t.name)
          )
      }
    ],
    topics
  )
  const partitions = formatTable(
    [
      { header: "topic", value: (row: PartitionDescription & { topic: string }) => row.topic },
      { header: "partition", align: "right", value: (row) => String(row.partition) },
      { header: "leader", align: "right", value: (row) => String(row.leader) },
      { header: "replicas", value: (row) => row.replicas.join(",") },
      { header: "in sync", value: (row) => row.inSync.join(",") },
      { header: "log start", align: "right", value: (row) => formatCount(row.logStartOffset) },
      { header: "high watermark", align: "right", value: (row) => formatCount(row.highWatermark) }
    ],
    topics.flatMap((t) => t.partitionDetails.map((p) => ({ ...p, topic: t.name })))
  )
  const missing = topics.filter((t) => !t.exists).map((t) => t.name)
  const drift = topics.flatMap((t) =>
    t.drift.map((d) => `  ${t.name}: ${d.setting} is ${d.actual}, xpscore creates it with ${d.expected}`)
  )
  return [
    summary,
    ...(topics.some((t) => t.exists) ? ["", partitions] : []),
    ...(drift.length === 0 ? [] : ["", "differs from what `topics create` would make:", ...drift]),
    ...(missing.length === 0 ? [] : ["", `missing: ${missing.join(", ")}; create them with ./xpscore topics create`]),
    "",
    "offsets: high watermark − log start; on transactional topics each commit also takes an offset (a marker no consumer receives)"
  ].join("\n")
}

const describe = Command.make("describe", { json }, ({ json }) =>
  Effect.gen(function* () {
    const specs = yield* specsFromConfig
    const kafka = yield* kafkaClient("xpscore-topics")
    const topics = yield* describeTopics(kafka, specs)
    yield* Console.log(json ? JSON.stringify({ topics }) : describeText(topics, specs))
  }).pipe(Effect.provideService(Logger.LogToStderr, true))
).pipe(
  Command.withDescription(
    "Show xpscore's topics as the broker has them: partitions, replication, in-sync replicas, cleanup policy and retention, compaction settings, high watermarks per partition, and any setting that differs from what `topics create` makes"
  )
)

export const topicsCommand = Command.make("topics").pipe(
  Command.withDescription("Create and inspect xpscore's Kafka topics (names from XPSCORE_TOPIC_PREFIX, default xp.)"),
  Command.withSubcommands([create, describe])
)
