import { ClickHouse } from "@xpscore/clickhouse"
import { EventDecoder } from "@xpscore/events"
import { runProjector } from "@xpscore/projector"
import { runScorer } from "@xpscore/scorer"
import { ConfigProvider, Effect, Fiber, Layer, Logger, type Scope } from "effect"
import type { FileSystem } from "effect/FileSystem"

/**
 * Settings over the current ones (the environment, or what an enclosing
 * command set): `overrides` first, everything else as before. Every Config
 * read under this layer (the services', the topic names, the ClickHouse
 * target) sees the same values, so a command can run the services on
 * another namespace (the demo's, a candidate model version's, a rebuild's
 * shadow) without touching process.env.
 */
export const settingsLayer = (overrides: Readonly<Record<string, string>>) =>
  ConfigProvider.layerAdd(ConfigProvider.fromEnv({ env: { ...overrides } }), { asPrimary: true })

/** Logs as JSON lines into a file (the services' logs during a demo or a replay), not onto the terminal. */
export const fileLogsLayer = (file: string): Layer.Layer<never, unknown, FileSystem> =>
  Layer.unwrap(
    Effect.gen(function* () {
      const logger = yield* Logger.toFile(Logger.formatJson, file, { flag: "a" })
      return Logger.layer([logger])
    })
  )

/**
 * The current ClickHouse connection, aimed at another database: statements
 * name their tables with the database (`db`.`table`), and the services take
 * the database from the target, so one connection (one embedded engine)
 * serves the live database and a shadow or candidate one side by side.
 */
export const clickHouseOnDatabase = (database: string): Layer.Layer<ClickHouse, never, ClickHouse> =>
  Layer.effect(
    ClickHouse,
    Effect.gen(function* () {
      const clickhouse = yield* ClickHouse
      return ClickHouse.of({ ...clickhouse, target: { ...clickhouse.target, database } })
    })
  )

export interface PipelineOptions {
  readonly scorer: boolean
  readonly projector: boolean
  /** the decoder the scorer reads with (default: the current registry) */
  readonly decoder?: Layer.Layer<EventDecoder>
}

export interface RunningPipeline {
  /** fails with the first service's failure; never succeeds (the services run until interrupted) */
  readonly failed: Effect.Effect<never, unknown>
}

/**
 * Starts the scorer and/or the projector as fibers of the current scope, in
 * this process: embedded ClickHouse allows one engine per process, so the
 * projector and the command's own queries must share the `ClickHouse`
 * service. Closing the scope stops them as SIGTERM does (drain, commit,
 * leave the groups).
 */
export const startPipeline = (options: PipelineOptions) =>
  Effect.gen(function* () {
    const fibers: Array<Fiber.Fiber<never, unknown>> = []
    if (options.scorer) {
      fibers.push(
        yield* Effect.forkScoped(Effect.scoped(runScorer).pipe(Effect.provide(options.decoder ?? EventDecoder.layer)))
      )
    }
    if (options.projector) fibers.push(yield* Effect.forkScoped(Effect.scoped(runProjector)))
    const failed: Effect.Effect<never, unknown> =
      fibers.length === 0
        ? Effect.never
        : Effect.raceAllFirst(fibers.map((fiber) => Fiber.join(fiber))).pipe(Effect.flatMap(() => Effect.never))
    return { failed } satisfies RunningPipeline
  }) satisfies Effect.Effect<RunningPipeline, never, ClickHouse | Scope.Scope>
