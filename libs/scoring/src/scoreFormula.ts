import type { Params } from "./params.ts"
import { DAY_MS } from "./params.ts"

/**
 * The stored numbers the score at any time T ≥ t_ref is a closed formula of
 * (scoring-model.md, "State and decay"). The projection stores exactly these,
 * and its SQL view mirrors `scoreFromComponents` (see `scoreSql.ts`).
 */
export interface ScoreComponents {
  /** t_ref: the latest event time seen, epoch ms; every sum below is anchored there. */
  readonly tRefMs: number
  /** S⁺ = Σ w·v·2^(−(t_ref−t)/h⁺) over v ≥ 0. */
  readonly sPos: number
  /** S⁻ = Σ w·v·2^(−(t_ref−t)/h⁻) over v < 0 (≤ 0). */
  readonly sNeg: number
  /** W = Σ w·2^(−(t_ref−t)/h⁻). */
  readonly w: number
  /** P⁺: decayed maximum of closed positive impressions, at t_ref (≥ 0). */
  readonly pPos: number
  /** P⁻: decayed minimum of closed negative and open provisional impressions, at t_ref (≤ 0). */
  readonly pNeg: number
  /** Time of the last impression (greatest (t, id)), epoch ms. */
  readonly lastTMs: number
  /** Its impression. */
  readonly lastV: number
}

export interface ScoreTerms {
  readonly average: number
  readonly end: number
  readonly peak: number
  /** X = ω_avg·average + ω_end·end + ω_peak·peak. */
  readonly index: number
  /** 50 + 50·tanh(g·X). */
  readonly score: number
}

export const neutralComponents: ScoreComponents = Object.freeze({
  tRefMs: 0,
  sPos: 0,
  sNeg: 0,
  w: 0,
  pPos: 0,
  pNeg: 0,
  lastTMs: 0,
  lastV: 0
})

/**
 * tanh written as 1 − 2/(e^(2x) + 1): ClickHouse 18.16 has no `tanh`, and the
 * SQL view must agree with TypeScript to 1e-9, so both evaluate the same
 * expression. It saturates to exactly ±1 without NaN (e^(2x) → ∞ gives 1,
 * → 0 gives −1), and its absolute error near 0 is ~1e-16, far below what a
 * score shows.
 */
export const tanhLikeSql = (x: number): number => 1 - 2 / (Math.exp(2 * x) + 1)

/**
 * The closed formula, the one place it is written in TypeScript. Times before
 * t_ref (or before the last impression) are read as t_ref: decay only runs
 * forward, so a clock behind the data never inflates a score. Powers of two
 * are `Math.pow(2, ·)` (SQL `pow(2, ·)`), exponents are −Δ/h with h in ms.
 */
export const termsFromComponents = (c: ScoreComponents, p: Params, atMs: number): ScoreTerms => {
  const hPos = p.hPosDays * DAY_MS
  const hNeg = p.hNegDays * DAY_MS
  const hEndPos = p.hEndPosDays * DAY_MS
  const delta = atMs > c.tRefMs ? atMs - c.tRefMs : 0
  const sinceLast = atMs > c.lastTMs ? atMs - c.lastTMs : 0
  const decayPos = 2 ** (-delta / hPos)
  const decayNeg = 2 ** (-delta / hNeg)
  const average = (c.sPos * decayPos + c.sNeg * decayNeg) / (c.w * decayNeg + p.w0)
  const end = c.lastV * 2 ** (-sinceLast / (c.lastV >= 0 ? hEndPos : hNeg))
  const peak = c.pPos * decayPos + c.pNeg * decayNeg
  const index = p.omegaAvg * average + p.omegaEnd * end + p.omegaPeak * peak
  const score = 50 + 50 * tanhLikeSql(p.g * index)
  return { average, end, peak, index, score }
}

export const scoreFromComponents = (c: ScoreComponents, p: Params, atMs: number): number =>
  termsFromComponents(c, p, atMs).score
