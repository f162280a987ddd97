import { ClickHouse, scoreAtSql, sqlNumber } from "@xpscore/clickhouse"
import { Effect } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { bothClickHouseModes } from "../../../test/harness/index.ts"
import {
  componentsOf,
  DAY_MS,
  defaultParams as p,
  type ScoreComponents,
  scoreAt,
  scoreFromComponents
} from "../src/index.ts"
import { historyArb } from "./arbitraries.ts"
import { DAY, fold } from "./builders.ts"

/*
 * scoring-model.md invariant 11: scoreAt(state, T) in TypeScript equals the
 * ClickHouse "as of now" expression (libs/clickhouse `scoreAtSql`, the one the
 * current-score view is made of) to 1e-9, on the 18.16 server and on the
 * embedded 26.x engine alike. Components come from folded random histories,
 * times from the latest event time to three years later (and before it).
 */

interface Sample {
  readonly components: ScoreComponents
  readonly atMs: number
}

const sampleArb: fc.Arbitrary<Sample> = fc
  .tuple(historyArb(), fc.integer({ min: -10 * DAY, max: 3 * 365 * DAY }))
  .map(([events, later]) => {
    const state = fold(events)
    const components = componentsOf(state, p)
    return { components, atMs: components.tRefMs + later }
  })

const int64 = (ms: number) => `toInt64(${sqlNumber(ms)})`
/** A double by its exact bits (no decimal parsing on either engine). */
const float64 = (x: number) => {
  const bytes = new Uint8Array(8)
  new DataView(bytes.buffer).setFloat64(0, x, true)
  return `reinterpretAsFloat64(unhex('${Buffer.from(bytes).toString("hex")}'))`
}

const scoreSqlOf = ({ components: c, atMs }: Sample) =>
  scoreAtSql(int64(atMs), {
    tRefMs: int64(c.tRefMs),
    sPos: float64(c.sPos),
    sNeg: float64(c.sNeg),
    w: float64(c.w),
    pPos: float64(c.pPos),
    pNeg: float64(c.pNeg),
    lastTMs: int64(c.lastTMs),
    lastV: float64(c.lastV),
    halfLifePosMs: float64(p.hPosDays * DAY_MS),
    halfLifeNegMs: float64(p.hNegDays * DAY_MS),
    halfLifeEndPosMs: float64(p.hEndPosDays * DAY_MS),
    neutralWeight: float64(p.w0),
    weightAverage: float64(p.omegaAvg),
    weightEnd: float64(p.omegaEnd),
    weightPeak: float64(p.omegaPeak),
    gain: float64(p.g)
  })

describe.each(bothClickHouseModes("default"))("invariant 11 on ClickHouse (%s)", (_mode, target) => {
  it("given stored components of any state, then the SQL score equals scoreAt to 1e-9", async () => {
    const layer = ClickHouse.layerFor(target())
    await Effect.runPromise(
      Effect.gen(function* () {
        const clickhouse = yield* ClickHouse
        yield* Effect.promise(() =>
          fc.assert(
            fc.asyncProperty(fc.array(sampleArb, { minLength: 1, maxLength: 60 }), async (samples) => {
              const sql = samples
                .map((sample, i) => `SELECT ${i} AS i, ${scoreSqlOf(sample)} AS score`)
                .join(" UNION ALL ")
              const rows = await Effect.runPromise(clickhouse.query<{ i: number; score: number }>(sql))
              expect(rows).toHaveLength(samples.length)
              for (const row of rows) {
                const sample = samples[row.i]!
                const typescript = scoreFromComponents(sample.components, p, sample.atMs)
                expect(Math.abs(row.score - typescript)).toBeLessThanOrEqual(1e-9)
              }
            }),
            { numRuns: 25 }
          )
        )
      }).pipe(Effect.scoped, Effect.provide(layer))
    )
  })
})

describe("scoreAt and the stored components", () => {
  it("given a state, then scoreAt is scoreFromComponents of componentsOf (the numbers the projection stores)", () => {
    fc.assert(
      fc.property(sampleArb, historyArb(), (sample, events) => {
        const state = fold(events)
        expect(scoreAt(state, sample.atMs, p)).toBe(scoreFromComponents(componentsOf(state, p), p, sample.atMs))
      })
    )
  })
})
