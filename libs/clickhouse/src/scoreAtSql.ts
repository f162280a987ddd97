/**
 * The closed formula of the score at a time T ≥ t_ref (scoring-model.md,
 * "State and decay"), as one ClickHouse expression over the stored
 * components. It is written once, here, and used by the migration that
 * creates v_current_scores and by the tests that hold it to TypeScript's
 * `scoreFromComponents` to 1e-9 on both engines.
 *
 * Kept to what ClickHouse 18.16 has: no tanh (tanh(y) is written with exp,
 * the form TypeScript uses too), no DateTime64 (times are Int64 epoch
 * milliseconds). Operations follow the TypeScript order of
 * `termsFromComponents` so both sides round alike.
 */

/** SQL expressions (usually column names) for the numbers the formula reads. */
export interface ScoreFormulaColumns {
  readonly tRefMs: string
  readonly sPos: string
  readonly sNeg: string
  readonly w: string
  readonly pPos: string
  readonly pNeg: string
  readonly lastTMs: string
  readonly lastV: string
  readonly halfLifePosMs: string
  readonly halfLifeNegMs: string
  readonly halfLifeEndPosMs: string
  readonly neutralWeight: string
  readonly weightAverage: string
  readonly weightEnd: string
  readonly weightPeak: string
  readonly gain: string
}

/** The column names customer_scores and score_history use for the components and formula parameters. */
export const scoreFormulaColumns: ScoreFormulaColumns = {
  tRefMs: "t_ref_ms",
  sPos: "s_pos",
  sNeg: "s_neg",
  w: "w",
  pPos: "p_pos",
  pNeg: "p_neg",
  lastTMs: "last_t_ms",
  lastV: "last_v",
  halfLifePosMs: "half_life_pos_ms",
  halfLifeNegMs: "half_life_neg_ms",
  halfLifeEndPosMs: "half_life_end_pos_ms",
  neutralWeight: "neutral_weight",
  weightAverage: "weight_average",
  weightEnd: "weight_end",
  weightPeak: "weight_peak",
  gain: "gain"
}

/** The query time as epoch milliseconds on every engine (no now64 on 18.16). */
export const nowMsSql = "(toUnixTimestamp(now()) * 1000)"

/**
 * tanh(y) as 1 − 2/(e^{2y} + 1), the same expression TypeScript evaluates
 * (libs/scoring `tanhLikeSql`): it saturates to exactly ±1 without NaN
 * (e^{2y} → ∞ gives 1, → 0 gives −1).
 */
export const tanhSql = (y: string): string => `(1 - 2 / (exp(2 * (${y})) + 1))`

/**
 * The score (0–100) at `asOfMs` (an SQL expression of epoch milliseconds)
 * from the columns `c`. Like the TypeScript formula, a time before t_ref (or
 * before the last impression) reads as that time: decay only runs forward,
 * so a clock behind the data never inflates a score.
 */
export const scoreAtSql = (asOfMs: string, c: ScoreFormulaColumns = scoreFormulaColumns): string => {
  const elapsedSince = (fromMs: string) => `toFloat64(greatest((${asOfMs}) - ${fromMs}, 0))`
  const delta = elapsedSince(c.tRefMs)
  const fadePos = `pow(2, -${delta} / ${c.halfLifePosMs})`
  const fadeNeg = `pow(2, -${delta} / ${c.halfLifeNegMs})`
  const average = `(${c.sPos} * ${fadePos} + ${c.sNeg} * ${fadeNeg}) / (${c.w} * ${fadeNeg} + ${c.neutralWeight})`
  const endHalfLife = `if(${c.lastV} >= 0, ${c.halfLifeEndPosMs}, ${c.halfLifeNegMs})`
  const end = `${c.lastV} * pow(2, -${elapsedSince(c.lastTMs)} / ${endHalfLife})`
  const peak = `(${c.pPos} * ${fadePos} + ${c.pNeg} * ${fadeNeg})`
  const index = `(${c.weightAverage} * (${average}) + ${c.weightEnd} * (${end}) + ${c.weightPeak} * ${peak})`
  return `(50 + 50 * ${tanhSql(`${c.gain} * ${index}`)})`
}
