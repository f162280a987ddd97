import type { ClickHouseTarget } from "@xpscore/config"
import { Effect } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { bothClickHouseModes, uniqueSuffix } from "../../../test/harness/index.ts"
import { ClickHouse } from "../src/ClickHouse.ts"
import { capabilitiesOf, migrate, migrations, planMigrations, planStatements } from "../src/migrations/migrate.ts"
import { schemaObjectDocs, schemaTables } from "../src/schemaObjects.ts"
import { sqlIdentifier, sqlQualified, sqlString } from "../src/sqlLiteral.ts"

const run = <A, E>(target: ClickHouseTarget, effect: Effect.Effect<A, E, ClickHouse>) =>
  Effect.runPromise(Effect.provide(effect, ClickHouse.layerFor(target)))

const objectsIn = (database: string) =>
  Effect.gen(function* () {
    const clickhouse = yield* ClickHouse
    return yield* clickhouse.query<{ name: string; engine: string }>(
      `SELECT name, engine FROM system.tables WHERE database = ${sqlString(database)} ORDER BY name`
    )
  })

describe.each(bothClickHouseModes("unused"))("migrations on ClickHouse (%s)", (mode, makeTarget) => {
  // chDB holds one engine (one data path) per process: every test of a mode
  // shares the target and gets a database of its own.
  let base: ClickHouseTarget | undefined
  const used: Array<ClickHouseTarget> = []
  const target = (): ClickHouseTarget => {
    base ??= makeTarget()
    const chosen = { ...base, database: `migrate_${uniqueSuffix()}` }
    used.push(chosen)
    return chosen
  }
  afterAll(async () => {
    if (mode !== "server") return
    for (const t of used) {
      await run(
        t,
        Effect.gen(function* () {
          yield* (yield* ClickHouse).command(`DROP DATABASE IF EXISTS ${sqlIdentifier(t.database)}`)
        })
      )
    }
  })

  it("create every documented table and view once, record it, and do nothing the second time", async () => {
    const t = target()
    const { first, second, objects, recorded, thresholds, version } = await run(
      t,
      Effect.gen(function* () {
        const clickhouse = yield* ClickHouse
        const first = yield* migrate
        const second = yield* migrate
        const objects = yield* objectsIn(t.database)
        const recorded = yield* clickhouse.query<{ version: number; name: string }>(
          `SELECT version, name FROM ${sqlQualified(t.database, schemaTables.migrations)}`
        )
        const thresholds = yield* clickhouse.query<{ name: string; threshold: number }>(
          `SELECT name, threshold FROM ${sqlQualified(t.database, schemaTables.scoreThresholds)} FINAL ORDER BY threshold`
        )
        return { first, second, objects, recorded, thresholds, version: yield* clickhouse.serverVersion }
      })
    )
    expect(first.pending.map((m) => m.version)).toEqual(migrations.map((m) => m.version))
    expect(second.pending).toEqual([])
    expect(second.applied).toEqual(migrations.map((m) => m.version))
    expect(recorded).toEqual(migrations.map((m) => ({ version: m.version, name: m.name })))
    expect(objects.map((o) => o.name)).toEqual(schemaObjectDocs.map((doc) => doc.name).sort())
    const engineOf = new Map(objects.map((o) => [o.name, o.engine]))
    for (const doc of schemaObjectDocs) {
      const expected = { table: /MergeTree$/, "materialized view": /^MaterializedView$/, view: /^View$/ }[doc.kind]
      expect(engineOf.get(doc.name), doc.name).toMatch(expected)
    }
    expect(thresholds).toEqual([
      { name: "at risk", threshold: 30 },
      { name: "neutral", threshold: 50 },
      { name: "delighted", threshold: 70 }
    ])
    if (mode === "embedded") expect(capabilitiesOf(version).tableComments).toBe(true)
  })

  it("give every table column a comment, and tables their description where the server keeps one", async () => {
    const t = target()
    const { columns, tables, tableComments } = await run(
      t,
      Effect.gen(function* () {
        const clickhouse = yield* ClickHouse
        yield* migrate
        const columns = yield* clickhouse.query<{ table: string; name: string; comment: string }>(
          `SELECT c.table AS table, c.name AS name, c.comment AS comment FROM system.columns AS c
           WHERE c.database = ${sqlString(t.database)} AND c.table IN (
             SELECT name FROM system.tables WHERE database = ${sqlString(t.database)} AND engine LIKE '%MergeTree')`
        )
        const { tableComments } = capabilitiesOf(yield* clickhouse.serverVersion)
        const tables = tableComments
          ? yield* clickhouse.query<{ name: string; comment: string }>(
              `SELECT name, comment FROM system.tables WHERE database = ${sqlString(t.database)} AND engine LIKE '%MergeTree'`
            )
          : []
        return { columns, tables, tableComments }
      })
    )
    expect(columns.length).toBeGreaterThan(50)
    expect(columns.filter((column) => column.comment.trim() === "")).toEqual([])
    if (tableComments) {
      for (const table of tables) {
        expect(table.comment).toBe(schemaObjectDocs.find((doc) => doc.name === table.name)?.description)
      }
    }
  })

  it("finish a migration that stopped half-way", async () => {
    const t = target()
    const objects = await run(
      t,
      Effect.gen(function* () {
        const clickhouse = yield* ClickHouse
        const plan = yield* planMigrations
        const statements = planStatements(plan)
        // setup plus the first four statements of migration 1, as if the process died there
        for (const statement of statements.slice(0, plan.setup.length + 4)) yield* clickhouse.command(statement)
        const resumed = yield* migrate
        expect(resumed.pending.map((m) => m.version)).toEqual([1])
        return yield* objectsIn(t.database)
      })
    )
    expect(objects.map((o) => o.name)).toEqual(schemaObjectDocs.map((doc) => doc.name).sort())
  })

  it("plan without touching the database, so a dry run leaves no trace", async () => {
    const t = target()
    const { plan, databases } = await run(
      t,
      Effect.gen(function* () {
        const clickhouse = yield* ClickHouse
        const plan = yield* planMigrations
        const databases = yield* clickhouse.query(
          `SELECT name FROM system.databases WHERE name = ${sqlString(t.database)}`
        )
        return { plan, databases }
      })
    )
    expect(plan.applied).toEqual([])
    expect(plan.pending.map((m) => m.version)).toEqual(migrations.map((m) => m.version))
    expect(planStatements(plan)[0]).toMatch(/^CREATE DATABASE IF NOT EXISTS /)
    expect(databases).toEqual([])
  })

  it("refuse a database whose recorded migration differs from the shipped one, or is newer", async () => {
    const t = target()
    const errors = await run(
      t,
      Effect.gen(function* () {
        const clickhouse = yield* ClickHouse
        yield* migrate
        const table = sqlQualified(t.database, schemaTables.migrations)
        yield* clickhouse.command(
          `INSERT INTO ${table} (version, name, checksum, applied_at) VALUES (1, 'initial schema', 'edited', now())`
        )
        const changed = yield* Effect.flip(migrate)
        yield* clickhouse.command(`TRUNCATE TABLE ${table}`)
        yield* clickhouse.command(
          `INSERT INTO ${table} (version, name, checksum, applied_at) VALUES (99, 'from the future', 'x', now())`
        )
        const newer = yield* Effect.flip(migrate)
        return [changed, newer]
      })
    )
    expect(errors.map((error) => error._tag)).toEqual(["MigrationChanged", "SchemaNewerThanCode"])
    expect(errors[0]?.message).toMatch(/migration 1 \(initial schema\) was applied with checksum edited/)
    expect(errors[1]?.message).toMatch(/schema version 99/)
  })
})
