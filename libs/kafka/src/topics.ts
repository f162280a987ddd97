import { Config, Option, Schema } from "effect"

/**
 * The topics of xpscore, named in one place. Every name starts with a
 * configurable prefix (`XPSCORE_TOPIC_PREFIX`, default `xp.`), so that
 * several deployments (or concurrent test runs) can share one cluster.
 */
export interface TopicNames {
  /** interaction events from every producer; key = customer id (UTF-8), value = CloudEvent JSON */
  readonly interactions: string
  /** the append-only log of score changes */
  readonly scores: string
  /** the scorer's state changelog (compacted), co-partitioned with interactions */
  readonly scorerState: string
  /** records that could not be decoded or validated, with the reason and their source coordinates */
  readonly deadLetters: string
}

export const DEFAULT_TOPIC_PREFIX = "xp."

/**
 * Kafka topic names may hold ASCII letters, digits, `.`, `_` and `-`, up to
 * 249 characters; the prefix leaves room for the longest suffix.
 */
export const TopicPrefix = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9._-]{0,200}$/u, {
    message: "expected up to 200 of the characters Kafka allows in topic names: A-Z a-z 0-9 . _ -"
  })
)

export const topicNames = (prefix: string): TopicNames => ({
  interactions: `${prefix}interactions`,
  scores: `${prefix}scores`,
  scorerState: `${prefix}scorer-state`,
  deadLetters: `${prefix}dead-letters`
})

/**
 * A candidate model version's own topics, beside the deployment's: its score
 * log, state changelog and dead letters carry the version's label, while the
 * interactions it scores are the deployment's. Re-scoring into a new model
 * version (`xpscore replay --model-version`) thus leaves every existing topic,
 * offset and changelog untouched.
 */
export const modelVersionTopicNames = (prefix: string, label: string): TopicNames => ({
  interactions: `${prefix}interactions`,
  scores: `${prefix}scores.${label}`,
  scorerState: `${prefix}scorer-state.${label}`,
  deadLetters: `${prefix}dead-letters.${label}`
})

/** A model version's label in names: `m1-0123456789ab` (modelVersionId), or an operator's own label. */
export const ModelVersionLabel = Schema.String.check(
  Schema.isPattern(/^[A-Za-z0-9_-]{1,40}$/u, {
    message: "expected 1 to 40 of the characters A-Z a-z 0-9 _ - (e.g. m1-0123456789ab)"
  })
)

/** `XPSCORE_TOPIC_PREFIX` (default `xp.`). */
export const topicPrefixConfig = Config.schema(TopicPrefix, "XPSCORE_TOPIC_PREFIX").pipe(
  Config.withDefault(DEFAULT_TOPIC_PREFIX)
)

/**
 * `XPSCORE_TOPIC_MODEL_VERSION`: unset for the deployment's topics; a label
 * for a candidate model version's ({@link modelVersionTopicNames}), so that
 * every command and service (`run`, `lag`, `topics`, `dead-letters`) can be
 * pointed at the candidate.
 */
export const topicModelVersionConfig = Config.schema(ModelVersionLabel, "XPSCORE_TOPIC_MODEL_VERSION").pipe(
  Config.option
)

/** The topic names of this deployment (or of the candidate model version named by XPSCORE_TOPIC_MODEL_VERSION). */
export const topicNamesConfig = Config.all({ prefix: topicPrefixConfig, version: topicModelVersionConfig }).pipe(
  Config.map(({ prefix, version }) =>
    Option.match(version, {
      onNone: () => topicNames(prefix),
      onSome: (label) => modelVersionTopicNames(prefix, label)
    })
  )
)

/** How a topic must be created. */
export interface TopicSpec {
  readonly name: string
  readonly numPartitions: number
  readonly replicationFactor: number
  readonly configEntries: Readonly<Record<string, string>>
  /**
   * A topic whose partition count must equal this one's: the scorer's
   * changelog partition p holds the state of the customers whose events are
   * in interactions partition p, so a restarted task restores exactly its
   * customers.
   */
  readonly coPartitionedWith?: string
  readonly purpose: string
}

export interface TopicLayout {
  readonly names: TopicNames
  /** partitions of interactions, scores and the state changelog */
  readonly partitions: number
  readonly replicationFactor: number
}

/** Keep forever: the interactions log is the source of truth that replays rebuild everything from. */
const KEEP_FOREVER = { "cleanup.policy": "delete", "retention.ms": "-1" }

/**
 * The topics xpscore needs, with the configurations the guarantees rest on
 * (architecture.md): retained logs for replay, a compacted changelog for
 * restore, and `min.insync.replicas` so that an acknowledged write
 * (acks = all) survives the loss of a broker where there are replicas.
 */
export const topicSpecs = (layout: TopicLayout): ReadonlyArray<TopicSpec> => {
  const durability = { "min.insync.replicas": String(Math.min(2, layout.replicationFactor)) }
  const { names, partitions, replicationFactor } = layout
  return [
    {
      name: names.interactions,
      numPartitions: partitions,
      replicationFactor,
      configEntries: { ...KEEP_FOREVER, ...durability },
      purpose: "interaction events (CloudEvents), key = customer id"
    },
    {
      name: names.scores,
      numPartitions: partitions,
      replicationFactor,
      configEntries: { ...KEEP_FOREVER, ...durability },
      purpose: "append-only log of score changes"
    },
    {
      name: names.scorerState,
      numPartitions: partitions,
      replicationFactor,
      configEntries: {
        "cleanup.policy": "compact",
        // compaction never touches the active segment: roll hourly so restore reads stay short
        "segment.ms": String(3_600_000),
        "min.cleanable.dirty.ratio": "0.1",
        // a deleted customer's tombstone stays a day, long enough for any restoring reader to see it
        "delete.retention.ms": String(86_400_000),
        ...durability
      },
      coPartitionedWith: names.interactions,
      purpose: "scorer state changelog (compacted), co-partitioned with interactions"
    },
    {
      name: names.deadLetters,
      // low volume; one partition keeps the re-drive order the order of failure
      numPartitions: 1,
      replicationFactor,
      configEntries: { ...KEEP_FOREVER, ...durability },
      purpose: "records that could not be decoded or validated, with reason and source coordinates"
    }
  ]
}

/**
 * `XPSCORE_TOPIC_PREFIX`, `XPSCORE_TOPIC_PARTITIONS` (default 6: the
 * scorer's parallelism), `XPSCORE_TOPIC_REPLICATION_FACTOR` (default 1, the
 * local single broker; 3 in production).
 */
export const topicLayoutConfig = Config.all({
  names: topicNamesConfig,
  partitions: Config.schema(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 10_000 })),
    "XPSCORE_TOPIC_PARTITIONS"
  ).pipe(Config.withDefault(6)),
  replicationFactor: Config.schema(
    Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 32 })),
    "XPSCORE_TOPIC_REPLICATION_FACTOR"
  ).pipe(Config.withDefault(1))
})
