import type { TopicSpec } from "@xpscore/kafka"
import { Effect } from "effect"
import type { Admin, ConfigResourceTypes, Kafka } from "kafkajs"
import { adminCall, withAdmin } from "./kafkaAdmin.ts"

export interface PartitionDescription {
  readonly partition: number
  readonly leader: number
  readonly replicas: ReadonlyArray<number>
  readonly inSync: ReadonlyArray<number>
  /** the first offset still in the log (retention and compaction move it) */
  readonly logStartOffset: number
  /** the offset the next record will get */
  readonly highWatermark: number
}

/** A setting that differs from what xpscore creates the topic with. */
export interface TopicDrift {
  readonly setting: string
  readonly expected: string
  readonly actual: string
}

export interface TopicDescription {
  readonly name: string
  readonly purpose: string
  readonly exists: boolean
  readonly partitions: number | null
  readonly replicationFactor: number | null
  /** the settings xpscore cares about, as the broker reports them (defaults included) */
  readonly configs: Readonly<Record<string, string>>
  readonly drift: ReadonlyArray<TopicDrift>
  readonly partitionDetails: ReadonlyArray<PartitionDescription>
  /**
   * Σ (high watermark − log start): the records in the log, an upper bound
   * on a transactional topic (each commit leaves a marker that takes an offset).
   */
  readonly offsets: number
}

/** `ConfigResourceTypes.TOPIC`: kafkajs, a CommonJS module, exports the enum where Node's ESM loader cannot see it. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes

/** Settings always shown, besides those the specs set. */
const ALWAYS_SHOWN = ["cleanup.policy", "retention.ms", "min.insync.replicas"]

const describeExisting = (admin: Admin, specs: ReadonlyArray<TopicSpec>) =>
  Effect.gen(function* () {
    const names = specs.map((spec) => spec.name)
    const { topics } = yield* adminCall(`read the metadata of ${names.join(", ")}`, () =>
      admin.fetchTopicMetadata({ topics: names })
    )
    const configNames = [...new Set([...ALWAYS_SHOWN, ...specs.flatMap((spec) => Object.keys(spec.configEntries))])]
    const configs = yield* adminCall("read the topic configurations", () =>
      admin.describeConfigs({
        includeSynonyms: false,
        resources: names.map((name) => ({ type: TOPIC_RESOURCE, name, configNames }))
      })
    )
    const offsets = yield* Effect.forEach(
      names,
      (name) => adminCall(`read the offsets of ${name}`, () => admin.fetchTopicOffsets(name)),
      { concurrency: 4 }
    )
    return specs.map((spec, i): TopicDescription => {
      const metadata = topics.find((topic) => topic.name === spec.name)!
      const resource = configs.resources.find((r) => r.resourceName === spec.name)
      const actual = Object.fromEntries(
        (resource?.configEntries ?? [])
          .filter((entry) => configNames.includes(entry.configName))
          .sort((a, b) => configNames.indexOf(a.configName) - configNames.indexOf(b.configName))
          .map((entry) => [entry.configName, entry.configValue])
      )
      const partitionOffsets = new Map(offsets[i]!.map((p) => [p.partition, p]))
      const partitionDetails = [...metadata.partitions]
        .sort((a, b) => a.partitionId - b.partitionId)
        .map((p) => ({
          partition: p.partitionId,
          leader: p.leader,
          replicas: p.replicas,
          inSync: p.isr,
          logStartOffset: Number(partitionOffsets.get(p.partitionId)?.low ?? 0),
          highWatermark: Number(partitionOffsets.get(p.partitionId)?.high ?? 0)
        }))
      const partitions = partitionDetails.length
      const replicationFactor = partitionDetails[0]?.replicas.length ?? 0
      const drift: Array<TopicDrift> = []
      if (partitions !== spec.numPartitions && spec.coPartitionedWith === undefined) {
        drift.push({ setting: "partitions", expected: String(spec.numPartitions), actual: String(partitions) })
      }
      if (replicationFactor !== spec.replicationFactor) {
        drift.push({
          setting: "replication factor",
          expected: String(spec.replicationFactor),
          actual: String(replicationFactor)
        })
      }
      for (const [setting, expected] of Object.entries(spec.configEntries)) {
        const value = actual[setting]
        if (value !== expected) drift.push({ setting, expected, actual: value ?? "(not set)" })
      }
      return {
        name: spec.name,
        purpose: spec.purpose,
        exists: true,
        partitions,
        replicationFactor,
        configs: actual,
        drift,
        partitionDetails,
        offsets: partitionDetails.reduce((sum, p) => sum + (p.highWatermark - p.logStartOffset), 0)
      }
    })
  })

/**
 * What the broker says about the topics of `specs`: partitions and their
 * replicas, the settings xpscore relies on (and where they differ from
 * the specs), the offsets. Topics that do not exist are described as such.
 */
export const describeTopics = (kafka: Kafka, specs: ReadonlyArray<TopicSpec>) =>
  withAdmin(kafka, (admin) =>
    Effect.gen(function* () {
      const existing = new Set(yield* adminCall("list topics", () => admin.listTopics()))
      const present = specs.filter((spec) => existing.has(spec.name))
      const described = present.length === 0 ? [] : yield* describeExisting(admin, present)
      const partitionsOf = new Map(described.map((d) => [d.name, d.partitions]))
      // a changelog partition holds the state of its input partition: the counts must agree
      const withCoPartitioning = described.map((d): TopicDescription => {
        const partner = specs.find((spec) => spec.name === d.name)?.coPartitionedWith
        const expected = partner === undefined ? undefined : partitionsOf.get(partner)
        return expected === undefined || expected === null || expected === d.partitions
          ? d
          : {
              ...d,
              drift: [
                ...d.drift,
                {
                  setting: `partitions (must equal ${partner}'s)`,
                  expected: String(expected),
                  actual: String(d.partitions)
                }
              ]
            }
      })
      return specs.map(
        (spec): TopicDescription =>
          withCoPartitioning.find((d) => d.name === spec.name) ?? {
            name: spec.name,
            purpose: spec.purpose,
            exists: false,
            partitions: null,
            replicationFactor: null,
            configs: {},
            drift: [],
            partitionDetails: [],
            offsets: 0
          }
      )
    })
  )
