import type { Params } from "./params.ts"
import { YEAR_MS } from "./params.ts"

/**
 * The impression formulas of scoring-model.md ("Events the model reads"), as
 * plain functions of numbers. The fold decides which state they read; these
 * only compute.
 */

/**
 * x^a for x ≥ 0, as exp(a·ln x): the same function as Math.pow (to the last
 * bit or two), about twice as fast in V8, and as deterministic (both are
 * V8's own fdlibm ports, identical on every platform).
 */
export const power = (x: number, a: number): number => (x === 0 ? 0 : Math.exp(a * Math.log(x)))

/** φ(d) = d^a for d ≥ 0, −λ·(−d)^a for d < 0: diminishing sensitivity and loss aversion. */
export const phi = (d: number, p: Params): number => (d >= 0 ? power(d, p.a) : -p.lambda * power(-d, p.a))

/** Touchpoint: q if q ≥ 0, else λ·q. */
export const touchpointImpression = (quality: number, p: Params): number =>
  quality >= 0 ? quality : p.lambda * quality

/** Expectation: clamp(c_meet + φ(actual − r), −λ, 1), r the reference point the caller chose. */
export const expectationImpression = (actual: number, reference: number, p: Params): number => {
  const v = p.cMeet + phi(actual - reference, p)
  return v < -p.lambda ? -p.lambda : v > 1 ? 1 : v
}

/** E_dim(t) = min(1, E_dim + δ·years(t − calibration date)). */
export const expectationAt = (stored: number, t: number, p: Params): number => {
  const drifted = stored + (p.deltaPerYear * (t - p.calibrationMs)) / YEAR_MS
  return drifted < 1 ? drifted : 1
}

/** E_dim ← E_dim + η·(p − E_dim), η_up when performance is above the stored baseline, else η_down. */
export const adaptExpectation = (stored: number, performance: number, p: Params): number =>
  stored + (performance > stored ? p.etaUp : p.etaDown) * (performance - stored)

/** Issue opened: the provisional impression −λ·s^a, counted while the issue is open. */
export const provisionalImpression = (severity: number, p: Params): number => -p.lambda * power(severity, p.a)

export const SCALE_CSAT = 0
export const SCALE_NPS = 1
export const SCALE_CES = 2

/** Survey: csat (x−3)/2; nps clamp((x−7)/3, −1, 1); ces (x−4)/3. */
export const surveyImpression = (scale: number, value: number): number => {
  if (scale === SCALE_CSAT) return (value - 3) / 2
  if (scale === SCALE_NPS) {
    const v = (value - 7) / 3
    return v < -1 ? -1 : v > 1 ? 1 : v
  }
  return (value - 4) / 3
}

export type RecoveryBranch = "paradox" | "partial" | "doubleDeviation"

export const BRANCH_NONE = 0
export const BRANCH_PARADOX = 1
export const BRANCH_PARTIAL = 2
export const BRANCH_DOUBLE_DEVIATION = 3

export const branchNames: ReadonlyArray<RecoveryBranch | undefined> = [
  undefined,
  "paradox",
  "partial",
  "doubleDeviation"
]

/**
 * The gated recovery rule. `earlierFailures` is the decayed count of failures
 * before this issue was opened (evaluated at its opening: see the notes).
 */
export const recoveryBranch = (
  earlierFailures: number,
  severity: number,
  rho: number,
  withinSla: boolean
): typeof BRANCH_PARADOX | typeof BRANCH_PARTIAL | typeof BRANCH_DOUBLE_DEVIATION => {
  if (earlierFailures < 0.5 && severity <= 0.5 && rho >= 0.8 && withinSla) return BRANCH_PARADOX
  if (rho >= 0.3 && withinSla) return BRANCH_PARTIAL
  return BRANCH_DOUBLE_DEVIATION
}

/** Paradox: c_meet + κ·s. */
export const paradoxImpression = (severity: number, p: Params): number => p.cMeet + p.kappa * severity

/** Partial restoration v_f·(1 − ρ_max·ρ), or double deviation v_f·(1 + dd). */
export const restoredImpression = (provisional: number, branch: number, rho: number, p: Params): number =>
  branch === BRANCH_PARTIAL ? provisional * (1 - p.rhoMax * rho) : provisional * (1 + p.dd)

/** The impression the whole episode is remembered with, at its resolution. */
export const recoveryImpression = (branch: number, severity: number, rho: number, p: Params): number =>
  branch === BRANCH_PARADOX
    ? paradoxImpression(severity, p)
    : restoredImpression(provisionalImpression(severity, p), branch, rho, p)
