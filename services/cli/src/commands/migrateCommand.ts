import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { ClickHouse, dataDictionary, migrate, planMigrations, planStatements } from "@xpscore/clickhouse"
import { clickhouseTargetConfig } from "@xpscore/config"
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"

const describeTarget = Effect.map(clickhouseTargetConfig, (target) =>
  target.mode === "server"
    ? `database ${target.database} on ${target.url}`
    : `database ${target.database} in embedded ClickHouse at ${target.path}`
)

const apply = Effect.gen(function* () {
  const where = yield* describeTarget
  const plan = yield* migrate
  const applied = plan.pending.map((m) => `${m.version} (${m.name})`)
  yield* Console.log(
    applied.length === 0
      ? `${where} (ClickHouse ${plan.serverVersion}) is up to date at version ${Math.max(0, ...plan.applied)}`
      : `${where} (ClickHouse ${plan.serverVersion}): applied ${applied.join(", ")}`
  )
})

const dryRun = Effect.gen(function* () {
  const where = yield* describeTarget
  const plan = yield* planMigrations
  yield* Console.log(
    `-- ${where} (ClickHouse ${plan.serverVersion}); applied: ${plan.applied.join(", ") || "none"}; pending: ${
      plan.pending.map((m) => m.version).join(", ") || "none"
    }`
  )
  for (const statement of planStatements(plan)) yield* Console.log(`${statement};\n`)
})

/**
 * The dictionary comes from a scratch embedded database, so it is the same on
 * every machine and needs no server.
 */
const dictionary = Command.make(
  "dictionary",
  {
    out: Flag.String("out").pipe(
      Flag.optional,
      Flag.withDescription("Write the Markdown here (e.g. docs/data-dictionary.md) instead of printing it")
    )
  },
  ({ out }) =>
    Effect.gen(function* () {
      const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "xpscore-dictionary-"))
      const markdown = yield* Effect.gen(function* () {
        yield* migrate
        return yield* dataDictionary
      }).pipe(
        Effect.provide(ClickHouse.layerFor({ mode: "embedded", path: scratch, database: "xpscore" })),
        Effect.ensuring(Effect.sync(() => fs.rmSync(scratch, { recursive: true, force: true })))
      )
      if (Option.isNone(out)) return yield* Console.log(markdown.trimEnd())
      fs.writeFileSync(path.resolve(out.value), markdown)
      yield* Console.log(`wrote ${path.resolve(out.value)}`)
    })
).pipe(
  Command.withDescription(
    "Generate the data dictionary (every table, view and column) from a freshly migrated embedded database"
  )
)

export const migrateCommand = Command.make(
  "migrate",
  {
    dryRun: Flag.Boolean("dry-run").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Print the SQL that would run (pending migrations only) and change nothing")
    )
  },
  ({ dryRun: printOnly }) => (printOnly ? dryRun : apply).pipe(Effect.provide(ClickHouse.layer))
).pipe(
  Command.withDescription(
    "Bring the ClickHouse schema (tables, materialized views, BI views) to the latest version: CLICKHOUSE_URL, or embedded when unset"
  ),
  Command.withSubcommands([dictionary])
)
