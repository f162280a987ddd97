import * as fs from "node:fs"
import { topicNamesConfig, topicPrefixConfig } from "@xpscore/kafka"
import { defaultParams, parseParams } from "@xpscore/scoring"
import { Config, Effect, Option, Schema } from "effect"

const between = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))

const int = (name: string, minimum: number, maximum: number, fallback: number) =>
  Config.schema(between(minimum, maximum), name).pipe(Config.withDefault(fallback))

const Ratio = Schema.Finite.check(
  Schema.isBetween({ minimum: 0, maximum: 1, exclusiveMinimum: true }, { message: "expected a ratio above 0, up to 1" })
)

/**
 * `XPSCORE_MODEL_PARAMS`: a JSON file naming the model parameters that
 * differ from model version 1 (`libs/scoring` params.ts; the dedup horizon
 * `dedupHorizonHours` and the allowed lateness `allowedLatenessHours` are
 * among them). Unset: the defaults. A changed set is a new model version:
 * every score record carries its id.
 */
export class ModelParamsInvalid extends Schema.TaggedError<ModelParamsInvalid>()("ModelParamsInvalid", {
  path: Schema.String,
  problems: Schema.Array(Schema.String)
}) {
  override get message() {
    return `XPSCORE_MODEL_PARAMS=${this.path}: ${this.problems.join("; ")}`
  }
}

export const modelParamsConfig = Config.String("XPSCORE_MODEL_PARAMS").pipe(Config.option)

/** The model parameters of `XPSCORE_MODEL_PARAMS`, or the defaults when it is unset. */
export const loadModelParams = Effect.fn("loadModelParams")(function* (file: Option.Option<string>) {
  if (Option.isNone(file)) return defaultParams
  const path = file.value
  const text = yield* Effect.try({
    try: () => fs.readFileSync(path, "utf8"),
    catch: (error) => new ModelParamsInvalid({ path, problems: [`cannot be read: ${(error as Error).message}`] })
  })
  const json = yield* Effect.try({
    try: (): unknown => JSON.parse(text),
    catch: (error) => new ModelParamsInvalid({ path, problems: [`is not JSON: ${(error as Error).message}`] })
  })
  const parsed = parseParams(json)
  if (!parsed.ok) return yield* new ModelParamsInvalid({ path, problems: parsed.errors })
  return parsed.params
})

/**
 * `XPSCORE_SCORER_GROUP_ID`, by default `<topic prefix>scorer` (`xp.scorer`):
 * one group per deployment, like its topics. Deployments must not share a
 * group: kafkajs assigns the partitions of every topic any member subscribed
 * to across all members, and the committed offsets, fencing ids and the
 * changelog belong to one deployment.
 */
export const scorerGroupIdConfig = Config.all({
  explicit: Config.String("XPSCORE_SCORER_GROUP_ID").pipe(Config.option),
  prefix: topicPrefixConfig
}).pipe(Config.map(({ explicit, prefix }) => Option.getOrElse(explicit, () => `${prefix}scorer`)))

export const scorerConfig = Config.all({
  topics: topicNamesConfig,
  groupId: scorerGroupIdConfig,
  maxBatchRecords: int("XPSCORE_SCORER_MAX_BATCH_RECORDS", 1, 100_000, 10_000),
  partitionsConcurrently: int("XPSCORE_SCORER_PARTITIONS_CONCURRENTLY", 1, 1_024, 6),
  fetchMinBytes: int("XPSCORE_SCORER_FETCH_MIN_BYTES", 1, 100_000_000, 1),
  fetchMaxWaitMs: int("XPSCORE_SCORER_FETCH_MAX_WAIT_MS", 10, 60_000, 500),
  fetchMaxBytesPerPartition: int("XPSCORE_SCORER_FETCH_MAX_BYTES_PER_PARTITION", 1_024, 100_000_000, 4_194_304),
  sessionTimeoutMs: int("XPSCORE_SCORER_SESSION_TIMEOUT_MS", 6_000, 1_800_000, 30_000),
  heartbeatIntervalMs: int("XPSCORE_SCORER_HEARTBEAT_INTERVAL_MS", 100, 600_000, 3_000),
  rebalanceTimeoutMs: int("XPSCORE_SCORER_REBALANCE_TIMEOUT_MS", 1_000, 1_800_000, 60_000),
  transactionTimeoutMs: int("XPSCORE_SCORER_TRANSACTION_TIMEOUT_MS", 1_000, 900_000, 60_000),
  retryBaseMs: int("XPSCORE_SCORER_RETRY_BASE_MS", 1, 60_000, 200),
  retryMaxMs: int("XPSCORE_SCORER_RETRY_MAX_MS", 1, 600_000, 30_000),
  restoreStallMs: int("XPSCORE_SCORER_RESTORE_STALL_MS", 1_000, 3_600_000, 60_000),
  drainMs: int("XPSCORE_SCORER_DRAIN_MS", 0, 600_000, 30_000),
  maxInvalidRatio: Config.schema(Ratio, "XPSCORE_SCORER_MAX_INVALID_RATIO").pipe(Config.withDefault(0.25)),
  invalidWindow: int("XPSCORE_SCORER_INVALID_WINDOW", 1, 100_000_000, 1_000),
  httpHost: Config.String("XPSCORE_SCORER_HTTP_HOST").pipe(Config.withDefault("0.0.0.0")),
  httpPort: int("XPSCORE_SCORER_HTTP_PORT", 0, 65_535, 9464),
  stallMs: int("XPSCORE_SCORER_STALL_MS", 1_000, 3_600_000, 120_000)
})

export type ScorerConfig = Config.Success<typeof scorerConfig>
