import type { RecoveryBranch, ScoreComponents, ScoreFormula } from "@xpscore/events"
import { DAY_MS, modelVersionId, type Params } from "@xpscore/scoring"

/** The closed-formula parameters every score record carries (`ScoreFormula` of libs/events). */
export const scoreFormulaOf = (params: Params): ScoreFormula => ({
  halfLifePosMs: params.hPosDays * DAY_MS,
  halfLifeNegMs: params.hNegDays * DAY_MS,
  halfLifeEndPosMs: params.hEndPosDays * DAY_MS,
  neutralWeight: params.w0,
  weightAverage: params.omegaAvg,
  weightEnd: params.omegaEnd,
  weightPeak: params.omegaPeak,
  gain: params.g
})

/** Everything of a score record but the formula and model version, which are the same for every record. */
export interface ScoreRecordFields {
  readonly customerId: string
  readonly seq: number
  readonly eventId: string
  readonly eventSource: string
  readonly eventType: string
  readonly eventTimeMs: number
  readonly channel: string | undefined
  readonly segment: string | undefined
  readonly score: number
  /** the previous record's score (50 before the first) */
  readonly previousScore: number
  readonly index: number
  readonly impression: number | undefined
  readonly recovery: RecoveryBranch | undefined
  readonly late: boolean
  readonly duplicate: boolean
  readonly orphanResolution: boolean
  readonly components: ScoreComponents
}

export interface ScoreRecordWriter {
  /** the record as JSON text */
  readonly write: (fields: ScoreRecordFields) => string
}

const number = (value: number | undefined) => (value === undefined ? "null" : String(value))

/**
 * Sources, types, channels and segments repeat across millions of records:
 * their JSON forms are kept (up to a bound, so that a flood of distinct
 * values cannot grow it without limit).
 */
const QUOTED_LIMIT = 65_536

/**
 * Writes score records as JSON text directly, field by field, in the order
 * of the `ScoreRecord` schema (libs/events scoreRecord.ts), with the
 * formula and model version written once per parameter set. The hot path
 * builds one string per record and no intermediate object; the tests check
 * that the text decodes with the schema to exactly the fields given.
 *
 * Numbers are written with JavaScript's shortest round-trip form, so the
 * reader gets the very same doubles back.
 */
export const scoreRecordWriter = (params: Params): ScoreRecordWriter => {
  const tail = `,"formula":${JSON.stringify(scoreFormulaOf(params))},"modelVersion":${JSON.stringify(modelVersionId(params))}}`
  const quoted = new Map<string, string>()
  const quote = (value: string | undefined) => {
    if (value === undefined) return "null"
    let text = quoted.get(value)
    if (text === undefined) {
      text = JSON.stringify(value)
      if (quoted.size < QUOTED_LIMIT) quoted.set(value, text)
    }
    return text
  }
  return {
    write: (f) => {
      const c = f.components
      return (
        `{"customerId":${JSON.stringify(f.customerId)},"seq":${f.seq},"eventId":${JSON.stringify(f.eventId)}` +
        `,"eventSource":${quote(f.eventSource)},"eventType":${quote(f.eventType)}` +
        `,"eventTimeMs":${f.eventTimeMs},"channel":${quote(f.channel)},"segment":${quote(f.segment)}` +
        `,"score":${f.score},"previousScore":${f.previousScore},"index":${f.index}` +
        `,"impression":${number(f.impression)},"recovery":${quote(f.recovery)}` +
        `,"flags":{"late":${f.late},"duplicate":${f.duplicate},"orphanResolution":${f.orphanResolution}}` +
        `,"components":{"tRefMs":${c.tRefMs},"sPos":${c.sPos},"sNeg":${c.sNeg},"w":${c.w},"pPos":${c.pPos}` +
        `,"pNeg":${c.pNeg},"lastTMs":${c.lastTMs},"lastV":${c.lastV}}` +
        tail
      )
    }
  }
}
