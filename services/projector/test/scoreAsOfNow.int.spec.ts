import {
  biViews,
  ClickHouse,
  currentScoresSelect,
  migrate,
  type Row,
  schemaTables,
  scoreAtSql,
  sqlNumber,
  sqlQualified
} from "@xpscore/clickhouse"
import type { ClickHouseTarget } from "@xpscore/config"
import type { ScoreRecord } from "@xpscore/events"
import { DAY_MS, defaultParams, type Params, type ScoreComponents, scoreFromComponents } from "@xpscore/scoring"
import { Effect } from "effect"
import fc from "fast-check"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bothClickHouseModes, uniqueSuffix } from "../../../test/harness/index.ts"
import { scoreHistoryRow } from "../src/projectionRows.ts"
import { type ClickHouseRuntime, clickhouseRuntime, command, dropIfServer, query } from "./projectorHarness.ts"
import { formulaOf, hostileJourney } from "./scoredJourney.ts"

/*
 * scoring-model.md invariant 11: the TypeScript closed formula and the
 * ClickHouse "as of now" view agree to 1e-9. The view's SQL is evaluated at
 * fixed times (the same SELECT the view runs, with a literal instead of now()).
 */

const journey = hostileJourney(7)
const lastRecords = (() => {
  const last = new Map<string, ScoreRecord>()
  for (const record of journey.records) {
    if ((last.get(record.customerId)?.seq ?? 0) < record.seq) last.set(record.customerId, record)
  }
  return last
})()
const latestEventTime = Math.max(...[...lastRecords.values()].map((r) => r.components.tRefMs))

describe.each(bothClickHouseModes("unused"))("the score as of a time, in ClickHouse (%s)", (_mode, makeTarget) => {
  let target: ClickHouseTarget
  let runtime: ClickHouseRuntime

  beforeAll(async () => {
    target = { ...makeTarget(), database: `as_of_${uniqueSuffix()}` }
    runtime = clickhouseRuntime(target)
    await runtime.runPromise(
      Effect.gen(function* () {
        const clickhouse = yield* ClickHouse
        yield* migrate
        yield* clickhouse.insert(
          sqlQualified(target.database, schemaTables.scoreHistory),
          journey.records.map((record, i) => scoreHistoryRow(record, 0, String(i)))
        )
      })
    )
  })
  afterAll(async () => {
    if (runtime !== undefined) await dropIfServer(runtime, target)
    await runtime?.dispose()
  })

  const scoresAt = (asOfMs: string) =>
    query<{ customer_id: string; score: number; as_of_ms: number }>(
      runtime,
      `SELECT customer_id, score, as_of_ms FROM (${currentScoresSelect(target.database, asOfMs)}) ORDER BY customer_id`
    )

  it.each([
    ["the latest event time", 0],
    ["30 days later", 30 * DAY_MS],
    ["365 days later", 365 * DAY_MS]
  ])("equals TypeScript's scoreFromComponents at %s, for every customer", async (_, offsetMs) => {
    const at = latestEventTime + offsetMs
    const rows = await scoresAt(sqlNumber(at))
    expect(rows).toHaveLength(lastRecords.size)
    for (const row of rows) {
      const record = lastRecords.get(row.customer_id)!
      expect(row.as_of_ms).toBe(at)
      expect(Math.abs(row.score - scoreFromComponents(record.components, defaultParams, at))).toBeLessThanOrEqual(1e-9)
    }
  })

  it.each([
    ["its own latest event time", 0],
    ["30 days after it", 30 * DAY_MS],
    ["365 days after it", 365 * DAY_MS]
  ])("equals TypeScript's scoreFromComponents at %s, customer by customer", async (_, offsetMs) => {
    const rows = await scoresAt(`t_ref_ms + ${sqlNumber(offsetMs)}`)
    for (const row of rows) {
      const record = lastRecords.get(row.customer_id)!
      const at = record.components.tRefMs + offsetMs
      expect(row.as_of_ms).toBe(at)
      const expected = scoreFromComponents(record.components, defaultParams, at)
      expect(Math.abs(row.score - expected)).toBeLessThanOrEqual(1e-9)
      if (offsetMs === 0) expect(Math.abs(row.score - record.score)).toBeLessThanOrEqual(1e-9)
    }
  })

  it("is what the deployed view shows at its own query time", async () => {
    const rows = await query<{ customer_id: string; score: number; as_of_ms: number }>(
      runtime,
      `SELECT customer_id, score, as_of_ms FROM ${sqlQualified(target.database, biViews.currentScores)}`
    )
    expect(rows).toHaveLength(lastRecords.size)
    for (const row of rows) {
      expect(Math.abs(row.as_of_ms - Date.now())).toBeLessThan(60_000)
      const expected = scoreFromComponents(lastRecords.get(row.customer_id)!.components, defaultParams, row.as_of_ms)
      expect(Math.abs(row.score - expected)).toBeLessThanOrEqual(1e-9)
    }
  })

  it("agrees with TypeScript on arbitrary components, parameters and times (property)", async () => {
    const table = sqlQualified(target.database, `formula_samples_${uniqueSuffix()}`)
    const sum = fc.double({ min: -50, max: 50, noNaN: true, noDefaultInfinity: true })
    const sample = fc.record({
      tRefMs: fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2099, 0, 1) }),
      sPos: fc.double({ min: 0, max: 50, noNaN: true }),
      sNeg: fc.double({ min: -100, max: 0, noNaN: true }),
      w: fc.double({ min: 0, max: 60, noNaN: true }),
      pPos: fc.double({ min: 0, max: 1, noNaN: true }),
      pNeg: fc.double({ min: -4, max: 0, noNaN: true }),
      lastBeforeRefMs: fc.integer({ min: 0, max: 400 * DAY_MS }),
      lastV: sum.map((v) => v / 20),
      afterMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 10 * 365 * DAY_MS })),
      hPosDays: fc.integer({ min: 1, max: 400 }),
      hNegDays: fc.integer({ min: 1, max: 400 }),
      hEndPosDays: fc.integer({ min: 1, max: 400 }),
      w0: fc.double({ min: 0.01, max: 5, noNaN: true }),
      omegaAvg: fc.double({ min: 0, max: 1, noNaN: true }),
      omegaEnd: fc.double({ min: 0, max: 1, noNaN: true }),
      omegaPeak: fc.double({ min: 0, max: 1, noNaN: true }),
      g: fc.double({ min: 0.01, max: 20, noNaN: true })
    })
    const samples = fc.sample(sample, { seed: 11, numRuns: 400 })
    const paramsOf = (s: (typeof samples)[number]): Params => ({ ...defaultParams, ...s })
    const componentsOf = (s: (typeof samples)[number]): ScoreComponents => ({
      tRefMs: s.tRefMs,
      sPos: s.sPos,
      sNeg: s.sNeg,
      w: s.w,
      pPos: s.pPos,
      pNeg: s.pNeg,
      lastTMs: s.tRefMs - s.lastBeforeRefMs,
      lastV: s.lastV
    })
    await command(
      runtime,
      `CREATE TABLE ${table} (id UInt32, t_ref_ms Int64, s_pos Float64, s_neg Float64, w Float64, p_pos Float64,
         p_neg Float64, last_t_ms Int64, last_v Float64, half_life_pos_ms Float64, half_life_neg_ms Float64,
         half_life_end_pos_ms Float64, neutral_weight Float64, weight_average Float64, weight_end Float64,
         weight_peak Float64, gain Float64, as_of_ms Int64) ENGINE = Memory`
    )
    const rows: Array<Row> = samples.map((s, id) => {
      const c = componentsOf(s)
      const f = formulaOf(paramsOf(s))
      return {
        id,
        t_ref_ms: c.tRefMs,
        s_pos: c.sPos,
        s_neg: c.sNeg,
        w: c.w,
        p_pos: c.pPos,
        p_neg: c.pNeg,
        last_t_ms: c.lastTMs,
        last_v: c.lastV,
        half_life_pos_ms: f.halfLifePosMs,
        half_life_neg_ms: f.halfLifeNegMs,
        half_life_end_pos_ms: f.halfLifeEndPosMs,
        neutral_weight: f.neutralWeight,
        weight_average: f.weightAverage,
        weight_end: f.weightEnd,
        weight_peak: f.weightPeak,
        gain: f.gain,
        as_of_ms: c.tRefMs + s.afterMs
      }
    })
    await runtime.runPromise(
      Effect.gen(function* () {
        yield* (yield* ClickHouse).insert(table, rows)
      })
    )
    const results = await query<{ id: number; score: number }>(
      runtime,
      `SELECT id, ${scoreAtSql("as_of_ms")} AS score FROM ${table} ORDER BY id`
    )
    expect(results).toHaveLength(samples.length)
    let worst = 0
    for (const { id, score } of results) {
      const s = samples[id]!
      const expected = scoreFromComponents(componentsOf(s), paramsOf(s), s.tRefMs + s.afterMs)
      worst = Math.max(worst, Math.abs(score - expected))
    }
    expect(worst).toBeLessThanOrEqual(1e-9)
  })
})
