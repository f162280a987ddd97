import { ClickHouse, sqlIdentifier, sqlQualified } from "@xpscore/clickhouse"
import type { ClickHouseTarget } from "@xpscore/config"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { bothClickHouseModes, testInfra, uniqueSuffix } from "../harness/index.ts"

const roundTrip = (target: ClickHouseTarget) =>
  Effect.gen(function* () {
    const clickhouse = yield* ClickHouse
    const table = sqlQualified(target.database, "smoke")
    yield* clickhouse.command(`CREATE DATABASE IF NOT EXISTS ${sqlIdentifier(target.database)}`)
    yield* clickhouse.command(
      `CREATE TABLE ${table} (customer_id String, seq UInt64, score Float64, at DateTime) ENGINE = MergeTree ORDER BY (customer_id, seq)`
    )
    yield* clickhouse.insert(table, [
      { customer_id: "c-1", seq: 1, score: 61.1, at: 1_700_000_000 },
      { customer_id: "c-1", seq: 2, score: 80.7, at: 1_700_086_400 },
      { customer_id: "c-2", seq: 1, score: 18.2, at: 1_700_000_000 }
    ])
    const rows = yield* clickhouse.query(
      `SELECT customer_id, seq, score, toUnixTimestamp(at) AS at FROM ${table} ORDER BY customer_id, seq`
    )
    const version = yield* clickhouse.serverVersion
    yield* clickhouse.command(`DROP DATABASE ${sqlIdentifier(target.database)}`)
    return { rows, version }
  }).pipe(Effect.provide(ClickHouse.layerFor(target)))

describe.each(bothClickHouseModes(`smoke_${uniqueSuffix()}`))("ClickHouse (%s) is a real engine", (mode, target) => {
  it("creates a table, inserts rows and returns them unchanged", async () => {
    const { rows, version } = await Effect.runPromise(roundTrip(target()))
    expect(rows).toEqual([
      { customer_id: "c-1", seq: 1, score: 61.1, at: 1_700_000_000 },
      { customer_id: "c-1", seq: 2, score: 80.7, at: 1_700_086_400 },
      { customer_id: "c-2", seq: 1, score: 18.2, at: 1_700_000_000 }
    ])
    if (mode === "embedded") expect(version).toMatch(/^26\./)
    if (mode === "server" && testInfra().clickhouseSource === "local") expect(version).toMatch(/^18\.16\./)
  })
})
