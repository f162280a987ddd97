import { Effect } from "effect"
import { ClickHouse } from "./ClickHouse.ts"
import { biViews, schemaTables } from "./schemaObjects.ts"
import { sqlIdentifier, sqlQualified, sqlString } from "./sqlLiteral.ts"

/*
 * Blue/green for the projection: a projector on a fresh consumer group
 * rebuilds every table in a shadow database (same migrations), and the
 * rebuilt tables then take the live ones' places in one step, so a BI tool
 * reading the live views sees the old tables or the new ones, never none
 * and never an empty one.
 *
 * Views and materialized views name their tables (`db`.`table`), and both
 * engines resolve those names when the view is read or fed (checked on
 * 18.16 and on the embedded 26.x engine by the rebuild tests, which insert
 * after the swap): the live views read, and the live materialized views
 * feed, whatever tables carry the live names after the swap.
 */

/** What a rebuild replaces: the tables the projector and its materialized views write. Thresholds and migrations stay. */
export const projectionTables = [
  schemaTables.scoreHistory,
  schemaTables.customerScores,
  schemaTables.dailyRollupState,
  schemaTables.interactions
] as const

/** The database a rebuild projects into before the swap; afterwards it holds the previous tables until dropped. */
export const shadowDatabaseOf = (database: string): string => `${database}_shadow`

/**
 * The statements that put the shadow's tables in place of the live ones.
 *
 * - `Atomic` databases (every ClickHouse since 20.x, the embedded engine):
 *   `EXCHANGE TABLES`, one atomic swap per table.
 * - `Ordinary` databases (18.16, which has no EXCHANGE): one `RENAME TABLE`
 *   statement that moves each live table aside (into the shadow database,
 *   suffixed `_previous`) and the shadow's table in; ClickHouse renames all
 *   of one statement under one lock.
 *
 * Afterwards the previous tables are in the shadow database either way.
 */
export const swapStatements = (databaseEngine: string, live: string, shadow: string): ReadonlyArray<string> =>
  databaseEngine === "Atomic"
    ? projectionTables.map((table) => `EXCHANGE TABLES ${sqlQualified(live, table)} AND ${sqlQualified(shadow, table)}`)
    : [
        `RENAME TABLE ${projectionTables
          .flatMap((table) => [
            `${sqlQualified(live, table)} TO ${sqlQualified(shadow, `${table}_previous`)}`,
            `${sqlQualified(shadow, table)} TO ${sqlQualified(live, table)}`
          ])
          .join(", ")}`
      ]

/** The database engine (Atomic, Ordinary, …) of `database`. */
export const databaseEngine = (database: string) =>
  Effect.gen(function* () {
    const clickhouse = yield* ClickHouse
    const rows = yield* clickhouse.query<{ engine: string }>(
      `SELECT engine FROM system.databases WHERE name = ${sqlString(database)}`
    )
    return rows[0]?.engine
  })

/** What a projection holds, as its views show it: the figures a rebuild is checked with. */
export interface ProjectionCounts {
  /** score records, one per (customer, seq) */
  readonly scoreRecords: number
  /** customers with a current score */
  readonly customers: number
  /** interaction events, one per (source, id) */
  readonly interactions: number
  /** Σ over customers of their highest seq: equals scoreRecords when every customer's records are 1…n without gap */
  readonly seqSum: number
  /** events + duplicates of the daily rollups: equals scoreRecords when no record was counted twice */
  readonly rollupRecords: number
}

/** The {@link ProjectionCounts} of `database`. */
export const projectionCounts = (database: string) =>
  Effect.gen(function* () {
    const clickhouse = yield* ClickHouse
    const one = (sql: string) =>
      Effect.map(clickhouse.query<{ n: number | null }>(sql), (rows) => Number(rows[0]?.n ?? 0))
    return {
      scoreRecords: yield* one(`SELECT count() AS n FROM ${sqlQualified(database, biViews.scoreHistory)}`),
      customers: yield* one(`SELECT count() AS n FROM ${sqlQualified(database, biViews.currentScores)}`),
      interactions: yield* one(`SELECT count() AS n FROM ${sqlQualified(database, biViews.interactions)}`),
      seqSum: yield* one(
        `SELECT sum(top) AS n FROM (SELECT max(seq) AS top FROM ${sqlQualified(database, schemaTables.scoreHistory)} GROUP BY customer_id)`
      ),
      rollupRecords: yield* one(
        `SELECT sum(events) + sum(duplicates) AS n FROM ${sqlQualified(database, biViews.dailyRollups)}`
      )
    } satisfies ProjectionCounts
  })

/** `DROP DATABASE IF EXISTS` for a database xpscore made (the shadow of a rebuild, a candidate model version's). */
export const dropDatabaseStatement = (database: string) => `DROP DATABASE IF EXISTS ${sqlIdentifier(database)}`
