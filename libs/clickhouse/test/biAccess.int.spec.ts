import { Effect } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { biServerTarget, serverTarget, uniqueSuffix } from "../../../test/harness/index.ts"
import { ClickHouse } from "../src/ClickHouse.ts"
import type { ClickHouseError } from "../src/ClickHouseError.ts"
import { migrate } from "../src/migrations/migrate.ts"
import { biViews, schemaTables } from "../src/schemaObjects.ts"
import { sqlIdentifier, sqlQualified } from "../src/sqlLiteral.ts"

/*
 * The read-only user BI tools connect as (`bi`, readonly = 2 in the server's
 * users.xml): it reads every view and cannot change anything.
 */
const database = `bi_access_${uniqueSuffix()}`
const asOwner = <A, E>(effect: Effect.Effect<A, E, ClickHouse>) =>
  Effect.runPromise(Effect.provide(effect, ClickHouse.layerFor(serverTarget(database))))
const asBi = <A, E>(effect: Effect.Effect<A, E, ClickHouse>) =>
  Effect.runPromise(Effect.provide(effect, ClickHouse.layerFor(biServerTarget(database))))

const denied = (sql: string) =>
  asBi(
    Effect.gen(function* () {
      return yield* Effect.flip((yield* ClickHouse).command(sql))
    })
  )

/** ClickHouse's READONLY (164) or ACCESS_DENIED (497) with the server's own message. */
const expectAccessError = (error: ClickHouseError) => {
  expect(["164", "497"]).toContain(error.code)
  expect(error.reason).toMatch(/readonly|not enough privileges|access denied/i)
}

describe("the bi user on the ClickHouse server", () => {
  beforeAll(async () => {
    await asOwner(
      Effect.gen(function* () {
        const clickhouse = yield* ClickHouse
        yield* migrate
        yield* clickhouse.command(
          `INSERT INTO ${sqlQualified(database, schemaTables.scoreHistory)} (customer_id, seq, event_id, event_source, event_type, event_time_ms, event_time, event_date, score, previous_score, score_index, t_ref_ms, last_t_ms, w, half_life_pos_ms, half_life_neg_ms, half_life_end_pos_ms, neutral_weight, weight_average, weight_end, weight_peak, gain, model_version) VALUES ('c-1', 1, 'e-1', 'checkout', 'xp.touchpoint.v1', 1700000000000, 1700000000, '2023-11-14', 75, 50, 0.5, 1700000000000, 1700000000000, 0.5, 2592000000, 5184000000, 1209600000, 1, 0.5, 0.3, 0.2, 1.2, 'm1')`
        )
      })
    )
  })
  afterAll(() =>
    asOwner(
      Effect.gen(function* () {
        yield* (yield* ClickHouse).command(`DROP DATABASE IF EXISTS ${sqlIdentifier(database)}`)
      })
    )
  )

  it.each(Object.values(biViews))("can SELECT from %s", async (view) => {
    const rows = await asBi(
      Effect.gen(function* () {
        return yield* (yield* ClickHouse).query(`SELECT * FROM ${sqlQualified(database, view)} LIMIT 10`)
      })
    )
    if (view !== biViews.interactions) expect(rows.length).toBeGreaterThan(0)
  })

  it("gets an access error on INSERT", async () => {
    expectAccessError(
      await denied(
        `INSERT INTO ${sqlQualified(database, schemaTables.scoreThresholds)} (name, threshold) VALUES ('mine', 42)`
      )
    )
  })

  it("gets an access error on DROP, ALTER and CREATE", async () => {
    expectAccessError(await denied(`DROP TABLE ${sqlQualified(database, schemaTables.scoreHistory)}`))
    expectAccessError(await denied(`DROP TABLE ${sqlQualified(database, biViews.currentScores)}`))
    expectAccessError(
      await denied(`ALTER TABLE ${sqlQualified(database, schemaTables.scoreHistory)} DELETE WHERE 1 = 1`)
    )
    expectAccessError(await denied(`CREATE TABLE ${sqlQualified(database, "mine")} (x UInt8) ENGINE = Memory`))
  })

  it("left everything as it was", async () => {
    const counts = await asOwner(
      Effect.gen(function* () {
        const clickhouse = yield* ClickHouse
        return yield* clickhouse.query(
          `SELECT (SELECT count() FROM ${sqlQualified(database, schemaTables.scoreHistory)}) AS history,
                  (SELECT count() FROM ${sqlQualified(database, schemaTables.scoreThresholds)} FINAL) AS thresholds`
        )
      })
    )
    expect(counts).toEqual([{ history: 1, thresholds: 3 }])
  })
})
