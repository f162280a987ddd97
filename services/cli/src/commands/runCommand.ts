import { ClickHouse } from "@xpscore/clickhouse"
import { EventDecoder } from "@xpscore/events"
import { runProjector } from "@xpscore/projector"
import { runScorer } from "@xpscore/scorer"
import { Effect, Logger } from "effect"
import { Command } from "effect/cli"

/** Services log one JSON object per line (with their annotations: topic, partition, offset, customer). */
const jsonLogs = Logger.layer([Logger.consoleJson])

const projector = Command.make("projector", {}, () =>
  Effect.scoped(runProjector).pipe(Effect.provide(ClickHouse.layer), Effect.provide(jsonLogs))
).pipe(
  Command.withDescription(
    "Run the ClickHouse projector: migrate the schema, then consume the scores and interactions topics into ClickHouse " +
      "(batched, idempotent, offsets committed after each insert). Health on XPSCORE_PROJECTOR_HTTP_PORT (9465): " +
      "/healthz, /readyz, /metrics. SIGTERM drains and leaves the group."
  )
)

const scorer = Command.make("scorer", {}, () =>
  Effect.scoped(runScorer).pipe(Effect.provide(EventDecoder.layer), Effect.provide(jsonLogs))
).pipe(
  Command.withDescription(
    "Run the scorer: fold the interactions topic per customer into scores, exactly once (one Kafka transaction per " +
      "batch: score records, state changelog, dead letters, input offsets). Health on XPSCORE_SCORER_HTTP_PORT (9464): " +
      "/healthz, /readyz, /metrics. SIGTERM drains and leaves the group. Settings: docs/scorer.md."
  )
)

export const runCommand = Command.make("run").pipe(
  Command.withDescription("Run an xpscore service in the foreground"),
  Command.withSubcommands([projector, scorer])
)
