import { createHash } from "node:crypto"
import { Effect, Schema } from "effect"
import { ClickHouse } from "../ClickHouse.ts"
import type { ClickHouseError } from "../ClickHouseError.ts"
import { schemaTables } from "../schemaObjects.ts"
import { sqlIdentifier, sqlNumber, sqlQualified, sqlString } from "../sqlLiteral.ts"
import { initialSchema } from "./0001_initialSchema.ts"
import type { Migration, MigrationContext } from "./migration.ts"

/** Every migration, in version order. Append; never edit a released one. */
export const migrations: ReadonlyArray<Migration> = [initialSchema]

/** The database holds a migration whose text differs from the one this xpscore ships. */
export class MigrationChanged extends Schema.TaggedError<MigrationChanged>()("MigrationChanged", {
  version: Schema.Number,
  name: Schema.String,
  recordedChecksum: Schema.String,
  shippedChecksum: Schema.String
}) {
  override get message() {
    return `migration ${this.version} (${this.name}) was applied with checksum ${this.recordedChecksum}, but this xpscore ships ${this.shippedChecksum}: released migrations must not change; add a new one`
  }
}

/** The database was migrated by a newer xpscore. */
export class SchemaNewerThanCode extends Schema.TaggedError<SchemaNewerThanCode>()("SchemaNewerThanCode", {
  databaseVersion: Schema.Number,
  knownVersion: Schema.Number
}) {
  override get message() {
    return `the database is at schema version ${this.databaseVersion}, newer than the ${this.knownVersion} this xpscore knows: upgrade xpscore`
  }
}

export type MigrationError = ClickHouseError | MigrationChanged | SchemaNewerThanCode

/**
 * What the server can do beyond the common subset, from its version string
 * ("18.16.1", "26.7.2.1"): only table comments differ between the two.
 */
export const capabilitiesOf = (version: string): Pick<MigrationContext, "tableComments"> => {
  const [major = 0, minor = 0] = version.split(".").map((part) => Number.parseInt(part, 10))
  return { tableComments: major > 21 || (major === 21 && minor >= 9) }
}

/**
 * The checksum covers the statements as rendered for a fixed database and
 * without the version-dependent comments, so the same migration has the same
 * checksum in every database and on every server.
 */
export const migrationChecksum = (migration: Migration): string =>
  createHash("sha256")
    .update(migration.statements({ database: "xpscore", tableComments: false }).join(";\n"))
    .digest("hex")
    .slice(0, 16)

export interface PlannedMigration {
  readonly version: number
  readonly name: string
  readonly statements: ReadonlyArray<string>
}

export interface MigrationPlan {
  readonly database: string
  readonly serverVersion: string
  /** versions already recorded in the database */
  readonly applied: ReadonlyArray<number>
  /** statements that prepare the database and the migrations table (all IF NOT EXISTS) */
  readonly setup: ReadonlyArray<string>
  readonly pending: ReadonlyArray<PlannedMigration>
}

const migrationsTableStatement = (database: string) =>
  `CREATE TABLE IF NOT EXISTS ${sqlQualified(database, schemaTables.migrations)} (
  version UInt32 COMMENT 'migration version',
  name String COMMENT 'what the migration does',
  checksum String COMMENT 'checksum of the migration statements when it ran',
  applied_at DateTime('UTC') COMMENT 'when it finished'
) ENGINE = ReplacingMergeTree ORDER BY version`

/** Reads which migrations the database has and works out what is left to run; changes nothing. */
export const planMigrations: Effect.Effect<MigrationPlan, MigrationError, ClickHouse> = Effect.gen(function* () {
  const clickhouse = yield* ClickHouse
  const database = clickhouse.target.database
  const serverVersion = yield* clickhouse.serverVersion
  const context: MigrationContext = { database, ...capabilitiesOf(serverVersion) }
  const tableExists = yield* clickhouse.query<{ n: number }>(
    `SELECT count() AS n FROM system.tables WHERE database = ${sqlString(database)} AND name = ${sqlString(schemaTables.migrations)}`
  )
  const recorded =
    Number(tableExists[0]?.n ?? 0) === 0
      ? []
      : yield* clickhouse.query<{ version: number; name: string; checksum: string }>(
          `SELECT version, name, checksum FROM ${sqlQualified(database, schemaTables.migrations)} FINAL ORDER BY version`
        )
  const known = new Map(migrations.map((migration) => [migration.version, migration]))
  const latestKnown = Math.max(0, ...migrations.map((migration) => migration.version))
  for (const row of recorded) {
    const migration = known.get(Number(row.version))
    if (migration === undefined) {
      return yield* new SchemaNewerThanCode({ databaseVersion: Number(row.version), knownVersion: latestKnown })
    }
    const shipped = migrationChecksum(migration)
    if (row.checksum !== shipped) {
      return yield* new MigrationChanged({
        version: migration.version,
        name: migration.name,
        recordedChecksum: row.checksum,
        shippedChecksum: shipped
      })
    }
  }
  const applied = recorded.map((row) => Number(row.version))
  return {
    database,
    serverVersion,
    applied,
    setup: [`CREATE DATABASE IF NOT EXISTS ${sqlIdentifier(database)}`, migrationsTableStatement(database)],
    pending: migrations
      .filter((migration) => !applied.includes(migration.version))
      .map((migration) => ({
        version: migration.version,
        name: migration.name,
        statements: migration.statements(context)
      }))
  }
})

const recordStatement = (database: string, migration: PlannedMigration) => {
  const shipped = migrations.find((m) => m.version === migration.version)!
  return `INSERT INTO ${sqlQualified(database, schemaTables.migrations)} (version, name, checksum, applied_at) VALUES (${sqlNumber(migration.version)}, ${sqlString(migration.name)}, ${sqlString(migrationChecksum(shipped))}, now())`
}

/**
 * Brings the database to the latest schema: runs the pending migrations in
 * version order, each statement in turn, and records a migration only after
 * all its statements succeeded. Running it again does nothing; a run that
 * stopped half-way finishes the interrupted migration (its statements are
 * idempotent). Returns the plan it carried out.
 */
export const migrate: Effect.Effect<MigrationPlan, MigrationError, ClickHouse> = Effect.gen(function* () {
  const clickhouse = yield* ClickHouse
  const plan = yield* planMigrations
  yield* Effect.forEach(plan.setup, (statement) => clickhouse.command(statement), { discard: true })
  for (const migration of plan.pending) {
    yield* Effect.forEach(migration.statements, (statement) => clickhouse.command(statement), { discard: true })
    yield* clickhouse.command(recordStatement(plan.database, migration))
    yield* Effect.logInfo(`applied migration ${migration.version}: ${migration.name}`).pipe(
      Effect.annotateLogs({ database: plan.database, statements: migration.statements.length })
    )
  }
  return plan
}).pipe(Effect.withSpan("ClickHouse.migrate"))

/** The statements `migrate` would run, in order, for a dry run. */
export const planStatements = (plan: MigrationPlan): ReadonlyArray<string> => [
  ...plan.setup,
  ...plan.pending.flatMap((migration) => [...migration.statements, recordStatement(plan.database, migration)])
]
