import { Effect, Schedule, Schema } from "effect"
import type { Admin, Kafka } from "kafkajs"
import type { TopicSpec } from "./topics.ts"

export class TopicSetupFailed extends Schema.TaggedError<TopicSetupFailed>()("TopicSetupFailed", {
  operation: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Kafka topic setup failed while trying to ${this.operation}: ${this.reason}`
  }
}

/**
 * Two topics that must have the same number of partitions do not (a
 * changelog partition must hold exactly the state of its input partition).
 */
export class TopicsNotCoPartitioned extends Schema.TaggedError<TopicsNotCoPartitioned>()("TopicsNotCoPartitioned", {
  topic: Schema.String,
  partitions: Schema.Int,
  coPartitionedWith: Schema.String,
  expectedPartitions: Schema.Int
}) {
  override get message() {
    return `${this.topic} has ${this.partitions} partitions but must have as many as ${this.coPartitionedWith} (${this.expectedPartitions}); recreate it with ${this.expectedPartitions} partitions`
  }
}

export interface TopicStatus {
  readonly name: string
  readonly partitions: number
  readonly created: boolean
}

const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

const attempt = <A>(operation: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new TopicSetupFailed({ operation, reason: reasonOf(cause) }) })

const partitionCounts = (admin: Admin, topics: ReadonlyArray<string>) =>
  attempt("read topic metadata", () => admin.fetchTopicMetadata({ topics: [...topics] })).pipe(
    Effect.map(({ topics }) => new Map(topics.map((topic) => [topic.name, topic.partitions.length])))
  )

const isAlreadyExists = (cause: unknown) =>
  typeof cause === "object" &&
  cause !== null &&
  ((cause as { type?: unknown }).type === "TOPIC_ALREADY_EXISTS" ||
    ((errors) => errors.length > 0 && errors.every((error) => error.type === "TOPIC_ALREADY_EXISTS"))(
      (cause as { errors?: ReadonlyArray<{ type?: unknown }> }).errors ?? []
    ))

/**
 * The broker accepted the creation but kafkajs stopped waiting before every
 * partition had a leader (its wait is short; a broker that has just started
 * with thousands of partitions elects leaders for a while).
 */
const isStillElectingLeaders = (cause: unknown) =>
  typeof cause === "object" &&
  cause !== null &&
  ["UNKNOWN_TOPIC_OR_PARTITION", "LEADER_NOT_AVAILABLE"].includes(String((cause as { type?: unknown }).type))

/** Polls the metadata until every partition of `topics` has a leader, for up to a minute. */
const awaitLeaders = (admin: Admin, topics: ReadonlyArray<string>) =>
  attempt("wait for partition leaders", () => admin.fetchTopicMetadata({ topics: [...topics] })).pipe(
    Effect.flatMap(({ topics }) =>
      topics.every((topic) => topic.partitions.every((partition) => partition.leader >= 0))
        ? Effect.void
        : Effect.fail(new TopicSetupFailed({ operation: "wait for partition leaders", reason: "no leader yet" }))
    ),
    Effect.retry({ schedule: Schedule.spaced("500 millis"), times: 120 })
  )

/**
 * Creates the topics of `specs` that do not exist yet, and checks that
 * co-partitioned topics agree. Idempotent, and safe to run concurrently (a
 * topic created by someone else meanwhile counts as existing). A missing
 * topic co-partitioned with an existing one is created with the existing
 * one's partition count, whatever the spec says: co-partitioning is the
 * invariant, the count a default.
 */
export const ensureTopics = Effect.fn("ensureTopics")(function* (kafka: Kafka, specs: ReadonlyArray<TopicSpec>) {
  const admin = kafka.admin()
  return yield* Effect.acquireUseRelease(
    attempt("connect to Kafka", () => admin.connect()).pipe(Effect.as(admin)),
    (admin) =>
      Effect.gen(function* () {
        const existing = new Set(yield* attempt("list topics", () => admin.listTopics()))
        const counts = yield* partitionCounts(
          admin,
          specs.filter((spec) => existing.has(spec.name)).map((spec) => spec.name)
        )
        const missing = specs.filter((spec) => !existing.has(spec.name))
        const toCreate = missing.map((spec) => {
          const partner = spec.coPartitionedWith
          const partnerCount = partner === undefined ? undefined : counts.get(partner)
          return { ...spec, numPartitions: partnerCount ?? spec.numPartitions }
        })
        if (toCreate.length > 0) {
          yield* Effect.tryPromise({
            try: () =>
              admin.createTopics({
                waitForLeaders: true,
                topics: toCreate.map((spec) => ({
                  topic: spec.name,
                  numPartitions: spec.numPartitions,
                  replicationFactor: spec.replicationFactor,
                  configEntries: Object.entries(spec.configEntries).map(([name, value]) => ({ name, value }))
                }))
              }),
            catch: (cause) => cause
          }).pipe(
            Effect.catch((cause) =>
              isAlreadyExists(cause)
                ? Effect.void
                : isStillElectingLeaders(cause)
                  ? awaitLeaders(
                      admin,
                      toCreate.map((spec) => spec.name)
                    )
                  : Effect.fail(
                      new TopicSetupFailed({
                        operation: `create ${toCreate.map((spec) => spec.name).join(", ")}`,
                        reason: reasonOf(cause)
                      })
                    )
            )
          )
        }
        const final = yield* partitionCounts(
          admin,
          specs.map((spec) => spec.name)
        )
        for (const spec of specs) {
          const partner = spec.coPartitionedWith
          if (partner === undefined) continue
          const partitions = final.get(spec.name)!
          const expectedPartitions = final.get(partner)
          if (expectedPartitions !== undefined && partitions !== expectedPartitions) {
            return yield* new TopicsNotCoPartitioned({
              topic: spec.name,
              partitions,
              coPartitionedWith: partner,
              expectedPartitions
            })
          }
        }
        const created = new Set(missing.map((spec) => spec.name))
        return specs.map(
          (spec): TopicStatus => ({
            name: spec.name,
            partitions: final.get(spec.name)!,
            created: created.has(spec.name)
          })
        )
      }),
    (admin) => Effect.promise(() => admin.disconnect()).pipe(Effect.ignore)
  )
})

/** Fails with a message saying how to create them when any of `topics` does not exist. */
export class TopicsMissing extends Schema.TaggedError<TopicsMissing>()("TopicsMissing", {
  topics: Schema.Array(Schema.String)
}) {
  override get message() {
    return `Kafka topic${this.topics.length > 1 ? "s" : ""} ${this.topics.join(", ")} ${this.topics.length > 1 ? "do" : "does"} not exist (the broker does not create topics on first use): create them with ./xpscore topics create`
  }
}

/** Which of `topics` do not exist (plain Promise: the Promise producer API uses it too). */
export const missingTopics = async (kafka: Kafka, topics: ReadonlyArray<string>): Promise<Array<string>> => {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    return topics.filter((topic) => !existing.has(topic))
  } finally {
    await admin.disconnect().catch(() => undefined)
  }
}

/** Checks that `topics` exist, without creating anything. */
export const requireTopics = Effect.fn("requireTopics")(function* (kafka: Kafka, topics: ReadonlyArray<string>) {
  const missing = yield* attempt("list topics", () => missingTopics(kafka, topics))
  if (missing.length > 0) return yield* new TopicsMissing({ topics: missing })
})
