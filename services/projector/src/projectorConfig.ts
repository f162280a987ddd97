import { topicNamesConfig } from "@xpscore/kafka"
import { Config, Schema } from "effect"

const between = (minimum: number, maximum: number) => Schema.Int.check(Schema.isBetween({ minimum, maximum }))

/**
 * The projector's own settings (connections come from @xpscore/config, topic
 * names from @xpscore/kafka). Defaults run the demo out of the box.
 */
export const projectorConfig = Config.all({
  topics: topicNamesConfig,
  /** consumer group; a new group projects both topics from their beginning */
  groupId: Config.String("XPSCORE_PROJECTOR_GROUP_ID").pipe(Config.withDefault("xpscore-projector")),
  /**
   * rows per INSERT; at most ClickHouse's max_insert_block_size (1,048,576
   * on every version), so that one batch is one part and lands whole or not at all
   */
  batchRows: Config.schema(between(1, 1_000_000), "XPSCORE_PROJECTOR_BATCH_ROWS").pipe(Config.withDefault(5_000)),
  /** the longest a record waits for its batch */
  batchMs: Config.schema(between(10, 600_000), "XPSCORE_PROJECTOR_BATCH_MS").pipe(Config.withDefault(1_000)),
  /** fetching pauses while this many rows wait to be written */
  maxBufferedRows: Config.schema(between(1, 10_000_000), "XPSCORE_PROJECTOR_MAX_BUFFERED_ROWS").pipe(
    Config.withDefault(20_000)
  ),
  retryBaseMs: Config.schema(between(1, 60_000), "XPSCORE_PROJECTOR_RETRY_BASE_MS").pipe(Config.withDefault(200)),
  retryMaxMs: Config.schema(between(1, 600_000), "XPSCORE_PROJECTOR_RETRY_MAX_MS").pipe(Config.withDefault(30_000)),
  /** how long SIGTERM may spend writing and committing the last batch */
  drainMs: Config.schema(between(0, 600_000), "XPSCORE_PROJECTOR_DRAIN_MS").pipe(Config.withDefault(30_000)),
  /** a member silent this long is removed from the group: how long a crashed projector's partitions wait for another one */
  sessionTimeoutMs: Config.schema(between(6_000, 1_800_000), "XPSCORE_PROJECTOR_SESSION_TIMEOUT_MS").pipe(
    Config.withDefault(30_000)
  ),
  heartbeatIntervalMs: Config.schema(between(100, 600_000), "XPSCORE_PROJECTOR_HEARTBEAT_INTERVAL_MS").pipe(
    Config.withDefault(3_000)
  ),
  /** customers whose highest projected seq is remembered (the rest are looked up again when seen) */
  seqCacheSize: Config.schema(between(1, 100_000_000), "XPSCORE_PROJECTOR_SEQ_CACHE_SIZE").pipe(
    Config.withDefault(1_000_000)
  ),
  /** /healthz, /readyz and /metrics; 0 picks a free port */
  httpPort: Config.schema(between(0, 65_535), "XPSCORE_PROJECTOR_HTTP_PORT").pipe(Config.withDefault(9465)),
  /** /healthz fails when the flush loop has not turned for this long */
  stallMs: Config.schema(between(1_000, 3_600_000), "XPSCORE_PROJECTOR_STALL_MS").pipe(Config.withDefault(120_000))
})

export type ProjectorConfig = Config.Success<typeof projectorConfig>
