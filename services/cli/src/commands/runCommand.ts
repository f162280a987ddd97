import { ClickHouse } from "@xpscore/clickhouse"
import { EventDecoder } from "@xpscore/events"
import { runProjector } from "@xpscore/projector"
import { runScorer } from "@xpscore/scorer"
import { Effect, Logger } from "effect"
import { Command } from "effect/cli"
import { asService } from "../serviceExit.ts"

/** Services log one JSON object per line (with their annotations: topic, partition, offset, customer). */
const jsonLogs = Logger.layer([Logger.consoleJson])

const projector = Command.make("projector", {}, () =>
  asService(Effect.scoped(runProjector).pipe(Effect.provide(ClickHouse.layer), Effect.provide(jsonLogs)))
).pipe(
  Command.withDescription(
    "Run the ClickHouse projector: migrate the schema, then consume the scores and interactions topics into ClickHouse " +
      "(batched, idempotent, offsets committed after each insert). Health on XPSCORE_PROJECTOR_HTTP_PORT (9465): " +
      "/healthz, /readyz, /metrics. SIGTERM drains and leaves the group."
  )
)

const scorer = Command.make("scorer", {}, () =>
  asService(Effect.scoped(runScorer).pipe(Effect.provide(EventDecoder.layer), Effect.provide(jsonLogs)))
).pipe(
  Command.withDescription(
    "Run the scorer: fold the interactions topic per customer into scores, exactly once (one Kafka transaction per " +
      "batch: score records, state changelog, dead letters, input offsets). Health on XPSCORE_SCORER_HTTP_PORT (9464): " +
      "/healthz, /readyz, /metrics. SIGTERM drains and leaves the group. Settings: docs/scorer.md."
  )
)

/**
 * Both services in one process: the smallest deployment (a laptop, the demo's
 * follow-up). If either fails the other is stopped (drained) and the process
 * exits non-zero; SIGTERM drains both.
 */
const all = Command.make("all", {}, () =>
  asService(
    Effect.all(
      [
        Effect.scoped(runScorer).pipe(Effect.provide(EventDecoder.layer)),
        Effect.scoped(runProjector).pipe(Effect.provide(ClickHouse.layer))
      ],
      { concurrency: "unbounded" }
    ).pipe(Effect.provide(jsonLogs))
  )
).pipe(
  Command.withDescription(
    "Run the scorer and the projector in one process (the settings of both apply; health on XPSCORE_SCORER_HTTP_PORT " +
      "(9464) and XPSCORE_PROJECTOR_HTTP_PORT (9465)). If one stops with an error, the other drains and the process " +
      "exits non-zero. SIGTERM drains both."
  )
)

export const runCommand = Command.make("run").pipe(
  Command.withDescription("Run an xpscore service in the foreground"),
  Command.withSubcommands([all, projector, scorer])
)
