import { RecoveryBranch, ScoreRecord } from "@xpscore/events"
import { arbitraryId } from "@xpscore/events/testing"
import { DAY_MS, defaultParams, modelVersionId, parseParams } from "@xpscore/scoring"
import { Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type ScoreRecordFields, scoreFormulaOf, scoreRecordWriter } from "../src/scoreRecordJson.ts"

/** JSON has no negative zero: -0 is written, and read back, as 0 (the same score) */
const finite = fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x))
const epochMs = fc.integer({ min: Date.UTC(2000, 0, 1), max: Date.UTC(2100, 0, 1) - 1 })

const arbitraryFields: fc.Arbitrary<ScoreRecordFields> = fc.record({
  customerId: arbitraryId,
  seq: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  eventId: arbitraryId,
  eventSource: arbitraryId,
  eventType: fc.constantFrom("xp.touchpoint.v1", "xp.survey.v1", "xp.touchpoint.v2"),
  eventTimeMs: epochMs,
  channel: fc.option(fc.constantFrom("web", "store"), { nil: undefined }),
  segment: fc.option(fc.constantFrom("smb", "enterprise"), { nil: undefined }),
  score: fc.double({ min: 0, max: 100, noNaN: true }).map((x) => (x === 0 ? 0 : x)),
  previousScore: fc.double({ min: 0, max: 100, noNaN: true }).map((x) => (x === 0 ? 0 : x)),
  index: finite,
  impression: fc.option(finite, { nil: undefined }),
  recovery: fc.option(fc.constantFrom(...RecoveryBranch.literals), { nil: undefined }),
  late: fc.boolean(),
  duplicate: fc.boolean(),
  orphanResolution: fc.boolean(),
  components: fc.record({
    tRefMs: epochMs,
    sPos: finite,
    sNeg: finite,
    w: finite,
    pPos: finite,
    pNeg: finite,
    lastTMs: epochMs,
    lastV: finite
  })
})

describe("scoreRecordWriter", () => {
  it("writes JSON that decodes with the ScoreRecord schema to exactly the fields given, every double with its bits", () => {
    const writer = scoreRecordWriter(defaultParams)
    fc.assert(
      fc.property(arbitraryFields, (fields) => {
        const decoded = Schema.decodeUnknownSync(ScoreRecord)(JSON.parse(writer.write(fields)))
        const { channel, segment, impression, recovery, late, duplicate, orphanResolution, ...rest } = fields
        expect(decoded).toEqual({
          ...rest,
          channel: channel ?? null,
          segment: segment ?? null,
          impression: impression ?? null,
          recovery: recovery ?? null,
          flags: { late, duplicate, orphanResolution },
          formula: scoreFormulaOf(defaultParams),
          modelVersion: modelVersionId(defaultParams)
        })
        // toEqual treats -0 and 0 alike; the numbers must come back with the same bits
        for (const [name, value] of Object.entries(fields.components)) {
          expect(Object.is(decoded.components[name as keyof typeof decoded.components], value === 0 ? 0 : value)).toBe(
            true
          )
        }
      }),
      { numRuns: 2_000 }
    )
  })

  it("carries the closed-formula parameters of the model version it was written with", () => {
    const parsed = parseParams({ hPosDays: 10, g: 2 })
    if (!parsed.ok) throw new Error(parsed.errors.join("; "))
    const record = JSON.parse(
      scoreRecordWriter(parsed.params).write(fc.sample(arbitraryFields, { numRuns: 1, seed: 7 })[0]!)
    ) as ScoreRecord
    expect(record.formula).toEqual({
      halfLifePosMs: 10 * DAY_MS,
      halfLifeNegMs: 60 * DAY_MS,
      halfLifeEndPosMs: 14 * DAY_MS,
      neutralWeight: 1,
      weightAverage: 0.5,
      weightEnd: 0.3,
      weightPeak: 0.2,
      gain: 2
    })
    expect(record.modelVersion).toBe(modelVersionId(parsed.params))
    expect(record.modelVersion).not.toBe(modelVersionId(defaultParams))
  })
})
