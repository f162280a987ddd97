import { acquire, release } from "./doubleArrays.ts"
import {
  adaptExpectation,
  BRANCH_NONE,
  BRANCH_PARADOX,
  expectationAt,
  expectationImpression,
  paradoxImpression,
  provisionalImpression,
  recoveryBranch,
  restoredImpression,
  surveyImpression,
  touchpointImpression
} from "./impressions.ts"
import type { Params } from "./params.ts"
import { DAY_MS } from "./params.ts"

/**
 * One fold of the model: the state after a sequence of events taken in
 * canonical order. It lives in one double array (unboxed numbers),
 * because a customer state holds two folds (everything, and what left the
 * lateness buffer) and a million customers must fit in memory: the fixed
 * slots below, then `DIM_STRIDE` numbers per dimension (`N_DIMS` of them),
 * then `OPEN_STRIDE` numbers per open issue (`N_OPEN` of them). Dimensions
 * and issues are identified by a 53-bit hash of their name (`dimensionHash`,
 * `issueHash` in dedupHash.ts): two
 * names of one customer collide with odds of 2^−53 per pair, and no string
 * has to be kept per dimension or issue.
 */
export interface Fold {
  n: Array<number>
}

/** Anchor of every decayed sum: the latest event time folded, epoch ms. */
export const T_REF = 0
export const S_POS = 1
export const S_NEG = 2
export const W = 3
/** Decayed max of closed positive impressions, at T_REF. */
export const P_POS = 4
/** Decayed min of closed negative impressions, at T_REF (open provisionals are added when read). */
export const P_NEG = 5
/** Time and kind of the event holding each peak (for explanations). */
export const P_POS_T = 6
export const P_NEG_T = 7
export const P_POS_META = 8
export const P_NEG_META = 9
export const LAST_T = 10
export const LAST_V = 11
export const LAST_META = 12
/** Decayed count of failures (issue openings), anchored at F_T. */
export const F = 13
export const F_T = 14
/** Resolutions of issues the fold did not know. */
export const ORPHANS = 15
export const N_DIMS = 16
export const N_OPEN = 17
export const FIXED = 18

/** Per dimension: its name's hash, the stored (undrifted) E_dim. */
export const DIM_STRIDE = 2

/**
 * Per open issue: its id's hash, opening time, severity, decayed count of
 * earlier failures at the opening, provisional impression.
 */
export const OPEN_STRIDE = 5

/**
 * Where `stepInOrder` reads an event in the array it is handed (a lateness
 * buffer's slot, or the arriving event's): its time, meta, payload and label
 * at these offsets from the given index. Events are read from arrays rather
 * than passed as numbers because V8 boxes every double passed to a function
 * it does not inline (a heap allocation per argument, per event); a meta may
 * carry more above its low byte (see customerState.ts), which the fold
 * ignores.
 */
export const E_T = 0
export const E_META = 1
export const E_X = 2
export const E_Y = 3
export const E_LABEL = 5

/** Event kinds as stored in a buffer's meta number: kind | flag << 3 | scale << 4. */
export const KIND_TOUCHPOINT = 0
export const KIND_EXPECTATION = 1
export const KIND_ISSUE_OPENED = 2
export const KIND_ISSUE_RESOLVED = 3
export const KIND_SURVEY = 4
export const NO_META = -1

export const metaKind = (meta: number): number => meta & 7
export const metaFlag = (meta: number): boolean => (meta & 8) !== 0
export const metaScale = (meta: number): number => (meta >> 4) & 3

export const initialFold = (): Fold => {
  // A literal of number constants, one of them not an integer: V8 makes it a double array
  // (unboxed), which the writes below keep.
  const n = [0.5, 0, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0, 0, 0.5, 0, 0, 0, 0, 0]
  n[T_REF] = 0
  n[P_POS_T] = Number.NaN
  n[P_NEG_T] = Number.NaN
  n[P_POS_META] = NO_META
  n[P_NEG_META] = NO_META
  n[LAST_META] = NO_META
  return { n }
}

/** Numbers in use: the fixed slots, the dimensions, the open issues (the array may be longer). */
export const usedNumbers = (n: ReadonlyArray<number>): number =>
  FIXED + n[N_DIMS]! * DIM_STRIDE + n[N_OPEN]! * OPEN_STRIDE

/** The first open issue's slot. */
export const openBase = (n: ReadonlyArray<number>): number => FIXED + n[N_DIMS]! * DIM_STRIDE

/** An exact-size copy. */
export const copyFold = (fold: Fold): Fold => ({ n: fold.n.slice(0, usedNumbers(fold.n)) })

/**
 * An array of `size` slots holding `source`'s first `used` entries with
 * `count` slots opened at `index` (V8's push and splice would leave up to
 * 50% slack); slots past the used ones are 0. `source` is let go of: the
 * fold it belonged to holds the result instead.
 */
const widen = (source: Array<number>, used: number, index: number, count: number, size: number) => {
  const out = acquire(size)
  for (let i = 0; i < index; i++) out[i] = source[i]!
  for (let i = index; i < used; i++) out[i + count] = source[i]!
  for (let i = used + count; i < size; i++) out[i] = 0
  release(source)
  return out
}

/**
 * What the last step did, read right after it by the caller. A module-level
 * record rather than a returned object: the fold runs millions of times a
 * second and the model is single-threaded by construction.
 */
export const lastStep = {
  /** The impression the event contributed (NaN: none). */
  v: Number.NaN,
  /** Its weight (0: none). */
  w: 0,
  branch: BRANCH_NONE,
  orphan: false,
  repeatedOpening: false
}

const resetStep = () => {
  lastStep.v = Number.NaN
  lastStep.w = 0
  lastStep.branch = BRANCH_NONE
  lastStep.orphan = false
  lastStep.repeatedOpening = false
}

/** −ln2/h per millisecond for each half-life: decay over `age` ms is exp(age·rate) = 2^(−age/h). */
interface Rates {
  readonly pos: number
  readonly neg: number
  readonly fail: number
  /** h⁻ = 2·h⁺ (the defaults): the positive factor is the square of the negative one. */
  readonly posIsNegSquared: boolean
  /** E0, kept here as an unboxed number (see stepExpectation). */
  readonly e0: number
}

let ratesOf: Params | undefined
let rates: Rates = { pos: 0, neg: 0, fail: 0, posIsNegSquared: false, e0: 0 }

const deriveRates = (p: Params): Rates => {
  rates = {
    pos: -Math.LN2 / (p.hPosDays * DAY_MS),
    neg: -Math.LN2 / (p.hNegDays * DAY_MS),
    fail: -Math.LN2 / (p.hFailDays * DAY_MS),
    posIsNegSquared: p.hNegDays === 2 * p.hPosDays,
    e0: p.e0
  }
  ratesOf = p
  return rates
}

/**
 * Derived once per parameter set (a one-entry cache: a fold runs with one
 * set). The derivation is a function of its own so that this stays a few
 * bytes of bytecode: V8 inlines callees within a budget of bytecode per
 * optimized function, and this is inlined wherever the fold decays.
 */
const ratesFor = (p: Params): Rates => (p === ratesOf ? rates : deriveRates(p))

/**
 * 2^(−age/h) inside the fold, computed as exp(age·(−ln2/h)): the same
 * function, cheaper than Math.pow in V8. Nothing outside the fold
 * reproduces these bits (the closed formula and its SQL mirror read the
 * stored sums), and V8's exp is its own fdlibm port: the same on every
 * platform, so replays stay bit-identical.
 */
export const decayNeg = (age: number, p: Params): number => Math.exp(age * ratesFor(p).neg)
export const decayPos = (age: number, p: Params): number => Math.exp(age * ratesFor(p).pos)

/** Decays every sum and peak to `t` when it is newer than the anchor. */
const advance = (n: Array<number>, t: number, p: Params): void => {
  const tRef = n[T_REF]!
  if (t <= tRef) return
  const dt = t - tRef
  const r = ratesFor(p)
  const neg = Math.exp(dt * r.neg)
  const pos = r.posIsNegSquared ? neg * neg : Math.exp(dt * r.pos)
  n[S_POS] = n[S_POS]! * pos
  n[S_NEG] = n[S_NEG]! * neg
  n[W] = n[W]! * neg
  n[P_POS] = n[P_POS]! * pos
  n[P_NEG] = n[P_NEG]! * neg
  n[T_REF] = t
}

/**
 * Adds one closed impression made at `t` (`src[at + E_T]`), its value and
 * weight in `lastStep`, to the sums and peaks (decayed to the anchor when
 * older than it). An open provisional is added by the opening itself.
 */
const addClosed = (fold: Fold, src: ReadonlyArray<number>, at: number, meta: number, p: Params): void => {
  if (fold.n[T_REF]! > src[at + E_T]!) addClosedDecayed(fold, src, at, meta, p)
  else addClosedAtAnchor(fold.n, src, at, meta)
}

/**
 * `addClosed` for an impression made at the anchor (every event folded in
 * canonical order), where every decay factor is exactly 1: kept apart from
 * the decayed case so that it stays small enough for V8 to inline into the
 * step (see `stepInOrder`).
 */
const addClosedAtAnchor = (n: Array<number>, src: ReadonlyArray<number>, at: number, meta: number): void => {
  const t = src[at + E_T]!
  const v = lastStep.v
  const w = lastStep.w
  if (v >= 0) {
    n[S_POS] = n[S_POS]! + w * v
    n[W] = n[W]! + w
    if (v > n[P_POS]!) {
      n[P_POS] = v
      n[P_POS_T] = t
      n[P_POS_META] = meta
    }
  } else {
    n[S_NEG] = n[S_NEG]! + w * v
    n[W] = n[W]! + w
    if (v < n[P_NEG]!) {
      n[P_NEG] = v
      n[P_NEG_T] = t
      n[P_NEG_META] = meta
    }
  }
}

const addClosedDecayed = (fold: Fold, src: ReadonlyArray<number>, at: number, meta: number, p: Params): void => {
  const n = fold.n
  const t = src[at + E_T]!
  const v = lastStep.v
  const w = lastStep.w
  const age = n[T_REF]! - t
  if (v >= 0) {
    const factor = decayPos(age, p)
    const factorW = decayNeg(age, p)
    n[S_POS] = n[S_POS]! + w * v * factor
    n[W] = n[W]! + w * factorW
    if (v * factor > n[P_POS]!) {
      n[P_POS] = v * factor
      n[P_POS_T] = t
      n[P_POS_META] = meta
    }
  } else {
    const factor = decayNeg(age, p)
    n[S_NEG] = n[S_NEG]! + w * v * factor
    n[W] = n[W]! + w * factor
    if (v * factor < n[P_NEG]!) {
      n[P_NEG] = v * factor
      n[P_NEG_T] = t
      n[P_NEG_META] = meta
    }
  }
}

const findDimension = (n: ReadonlyArray<number>, label: number): number => {
  const count = n[N_DIMS]!
  for (let i = 0; i < count; i++) if (n[FIXED + i * DIM_STRIDE] === label) return i
  return -1
}

/** The stored (undrifted) E_dim of a dimension (by its label hash), or E0 for one never seen. */
export const storedExpectation = (fold: Fold, label: number, p: Params): number => {
  const index = findDimension(fold.n, label)
  return index < 0 ? p.e0 : fold.n[FIXED + index * DIM_STRIDE + 1]!
}

/** A dimension seen for the first time: a new slot before the open issues (exact size). */
const addDimension = (fold: Fold, label: number, value: number): void => {
  const n = fold.n
  const at = FIXED + n[N_DIMS]! * DIM_STRIDE
  const used = usedNumbers(n)
  const out = widen(n, used, at, DIM_STRIDE, used + DIM_STRIDE)
  out[at] = label
  out[at + 1] = value
  out[N_DIMS] = n[N_DIMS]! + 1
  fold.n = out
}

export const findOpenIssue = (n: ReadonlyArray<number>, label: number): number => {
  const base = openBase(n)
  const count = n[N_OPEN]!
  for (let i = 0; i < count; i++) if (n[base + i * OPEN_STRIDE] === label) return i
  return -1
}

/**
 * Open issues are the last section, so an opening appends. A closed issue's
 * slot stays as spare room for the next one (issues come and go; a new
 * array per opening and closing would be most of an issue event's cost).
 */
const openIssue = (
  fold: Fold,
  label: number,
  t: number,
  severity: number,
  earlierFailures: number,
  provisional: number
): void => {
  const used = usedNumbers(fold.n)
  if (fold.n.length < used + OPEN_STRIDE) fold.n = widen(fold.n, used, used, OPEN_STRIDE, used + OPEN_STRIDE)
  const n = fold.n
  n[used] = label
  n[used + 1] = t
  n[used + 2] = severity
  n[used + 3] = earlierFailures
  n[used + 4] = provisional
  n[N_OPEN] = n[N_OPEN]! + 1
}

const closeIssue = (fold: Fold, index: number): void => {
  const n = fold.n
  const used = usedNumbers(n)
  const at = openBase(n) + index * OPEN_STRIDE
  for (let i = at + OPEN_STRIDE; i < used; i++) n[i - OPEN_STRIDE] = n[i]!
  for (let i = used - OPEN_STRIDE; i < used; i++) n[i] = 0
  n[N_OPEN] = n[N_OPEN]! - 1
}

/**
 * Folds one event taken in canonical order (its key is greater than every
 * key folded before): every part of the state moves. The event is read from
 * `src` at `at` (see `E_T`): its time, meta, and packed payload `x`, `y` and
 * `label` (the hash of a dimension or issue id; see `customerState.ts`).
 * Reports through `lastStep`.
 *
 * One function per kind, each taking the array and an index: V8 inlines
 * small callees within a budget per optimized function, and boxes every
 * double passed to a callee it did not inline (one heap allocation per
 * argument per event); small functions that read their numbers themselves
 * keep the fold free of both.
 */
export const stepInOrder = (fold: Fold, src: ReadonlyArray<number>, at: number, p: Params): void => {
  const kind = src[at + E_META]! & 7
  resetStep()
  advance(fold.n, src[at + E_T]!, p)
  if (kind === KIND_TOUCHPOINT) stepTouchpoint(fold, src, at, p)
  else if (kind === KIND_SURVEY) stepSurvey(fold, src, at, p)
  else if (kind === KIND_EXPECTATION) stepExpectation(fold, src, at, p)
  else if (kind === KIND_ISSUE_OPENED) stepIssueOpened(fold, src, at, p)
  else stepIssueResolved(fold, src, at, p)
}

/** A closed impression (`lastStep.v`, `lastStep.w`) enters the sums and peaks and becomes the last one. */
const closeStep = (fold: Fold, src: ReadonlyArray<number>, at: number, p: Params): void => {
  addClosed(fold, src, at, src[at + E_META]! & 255, p)
  setLast(fold, src, at)
}

/** The event at `at` made the last impression, `lastStep.v`. */
const setLast = (fold: Fold, src: ReadonlyArray<number>, at: number): void => {
  const n = fold.n
  n[LAST_T] = src[at + E_T]!
  n[LAST_V] = lastStep.v
  n[LAST_META] = src[at + E_META]! & 255
}

const stepTouchpoint = (fold: Fold, src: ReadonlyArray<number>, at: number, p: Params): void => {
  lastStep.v = touchpointImpression(src[at + E_X]!, p)
  lastStep.w = p.weightTouchpoint
  closeStep(fold, src, at, p)
}

const stepSurvey = (fold: Fold, src: ReadonlyArray<number>, at: number, p: Params): void => {
  lastStep.v = surveyImpression((src[at + E_META]! >> 4) & 3, src[at + E_X]!)
  lastStep.w = p.weightSurvey
  closeStep(fold, src, at, p)
}

const stepExpectation = (fold: Fold, src: ReadonlyArray<number>, at: number, p: Params): void => {
  const x = src[at + E_X]!
  const y = src[at + E_Y]!
  const label = src[at + E_LABEL]!
  const index = findDimension(fold.n, label)
  // E0 from the rates, not from `p`: a frozen object's number merged with the array's double would be boxed.
  const stored = index < 0 ? ratesFor(p).e0 : fold.n[FIXED + index * DIM_STRIDE + 1]!
  let reference = x
  if ((src[at + E_META]! & 8) === 0) {
    const drifted = expectationAt(stored, src[at + E_T]!, p)
    if (drifted > x) reference = drifted
  }
  lastStep.v = expectationImpression(y, reference, p)
  lastStep.w = p.weightExpectation
  const adapted = adaptExpectation(stored, y, p)
  if (index < 0) addDimension(fold, label, adapted)
  else fold.n[FIXED + index * DIM_STRIDE + 1] = adapted
  closeStep(fold, src, at, p)
}

const stepIssueOpened = (fold: Fold, src: ReadonlyArray<number>, at: number, p: Params): void => {
  const label = src[at + E_LABEL]!
  if (findOpenIssue(fold.n, label) >= 0) {
    lastStep.repeatedOpening = true
    return
  }
  const t = src[at + E_T]!
  const x = src[at + E_X]!
  const n = fold.n
  const earlier = n[F]! === 0 ? 0 : n[F]! * Math.exp((t - n[F_T]!) * ratesFor(p).fail)
  n[F] = earlier + 1
  n[F_T] = t
  const v = provisionalImpression(x, p)
  const w = p.weightIssue
  // An open provisional counts in the sums like any impression, but it is
  // not a closed one: it enters P⁻ only while open (see negativePeak).
  // (In canonical order t is the anchor, so the factor is 1.)
  const factor = t < n[T_REF]! ? decayNeg(n[T_REF]! - t, p) : 1
  n[S_NEG] = n[S_NEG]! + w * v * factor
  n[W] = n[W]! + w * factor
  openIssue(fold, label, t, x, earlier, v)
  lastStep.v = v
  lastStep.w = w
  setLast(fold, src, at)
}

const stepIssueResolved = (fold: Fold, src: ReadonlyArray<number>, at: number, p: Params): void => {
  const index = findOpenIssue(fold.n, src[at + E_LABEL]!)
  if (index < 0) {
    fold.n[ORPHANS] = fold.n[ORPHANS]! + 1
    lastStep.orphan = true
    return
  }
  const x = src[at + E_X]!
  const n = fold.n
  const slot = openBase(n) + index * OPEN_STRIDE
  const opened = n[slot + 1]!
  const severity = n[slot + 2]!
  const earlier = n[slot + 3]!
  const provisional = n[slot + 4]!
  const factor = decayNeg(n[T_REF]! - opened, p)
  // Take the provisional out; the subtraction can leave a residue of the
  // order of 1e-17 of the opposite sign, which must not flip a sum's sign.
  const sNeg = n[S_NEG]! - p.weightIssue * provisional * factor
  const weight = n[W]! - p.weightIssue * factor
  n[S_NEG] = sNeg < 0 ? sNeg : 0
  n[W] = weight > 0 ? weight : 0
  closeIssue(fold, index)
  const branch = recoveryBranch(earlier, severity, x, (src[at + E_META]! & 8) !== 0)
  // Two stores rather than one of a conditional: V8 would box the inlined branch's double to merge it with the call's.
  if (branch === BRANCH_PARADOX) lastStep.v = paradoxImpression(severity, p)
  else lastStep.v = restoredImpression(provisional, branch, x, p)
  lastStep.w = p.weightIssue
  lastStep.branch = branch
  closeStep(fold, src, at, p)
}

/**
 * The impression of an event beyond the lateness horizon, computed without
 * moving anything order-dependent: an expectation is judged against E_dim as
 * the fold knows it now (read at the event's time, drift included) and does
 * not adapt it; an issue opening is a closed negative impression (it is not
 * registered as open, so it neither counts as a failure nor waits for a
 * resolution); a resolution has no impression (it would have to close an
 * issue). NaN: no impression.
 */
export const lateImpression = (fold: Fold, src: ReadonlyArray<number>, at: number, p: Params): number => {
  const t = src[at + E_T]!
  const meta = src[at + E_META]! & 255
  const x = src[at + E_X]!
  const y = src[at + E_Y]!
  const label = src[at + E_LABEL]!
  const kind = meta & 7
  if (kind === KIND_TOUCHPOINT) return touchpointImpression(x, p)
  if (kind === KIND_SURVEY) return surveyImpression((meta >> 4) & 3, x)
  if (kind === KIND_EXPECTATION) {
    const reference = (meta & 8) !== 0 ? x : Math.max(x, expectationAt(storedExpectation(fold, label, p), t, p))
    return expectationImpression(y, reference, p)
  }
  if (kind === KIND_ISSUE_OPENED) return provisionalImpression(x, p)
  return Number.NaN
}

export const weightOf = (meta: number, p: Params): number => {
  const kind = meta & 7
  if (kind === KIND_TOUCHPOINT) return p.weightTouchpoint
  if (kind === KIND_SURVEY) return p.weightSurvey
  if (kind === KIND_EXPECTATION) return p.weightExpectation
  return p.weightIssue
}

/**
 * Sums and peaks only: the treatment of an event beyond the horizon (a newer
 * time moves the anchor first), read from `src` at `at`, with impression `v`.
 */
export const addSumsOnly = (fold: Fold, src: ReadonlyArray<number>, at: number, v: number, p: Params): void => {
  const meta = src[at + E_META]! & 255
  advance(fold.n, src[at + E_T]!, p)
  lastStep.v = v
  lastStep.w = weightOf(meta, p)
  addClosed(fold, src, at, meta, p)
}

/** P⁻ as the formula reads it: the closed minimum and every open provisional, at the anchor. */
export const negativePeak = (fold: Fold, p: Params): number => {
  const n = fold.n
  let peak = n[P_NEG]!
  const count = n[N_OPEN]!
  const base = openBase(n)
  for (let i = 0; i < count; i++) {
    const at = base + i * OPEN_STRIDE
    const open = n[at + 4]! * decayNeg(n[T_REF]! - n[at + 1]!, p)
    if (open < peak) peak = open
  }
  return peak
}
