import {
  B_LABEL,
  B_META,
  B_T,
  BUF_STRIDE,
  bufferBase,
  bufferedId,
  bufferedSource,
  type CustomerState,
  componentsOf,
  foldMeta
} from "./customerState.ts"
import {
  copyFold,
  initialFold,
  KIND_ISSUE_OPENED,
  KIND_ISSUE_RESOLVED,
  LAST_META,
  LAST_T,
  LAST_V,
  lastStep,
  N_OPEN,
  NO_META,
  OPEN_STRIDE,
  openBase,
  P_NEG,
  P_NEG_META,
  P_NEG_T,
  P_POS,
  P_POS_META,
  P_POS_T,
  stepInOrder,
  T_REF,
  weightOf
} from "./fold.ts"
import type { EventKind } from "./modelEvent.ts"
import type { Params } from "./params.ts"
import { DAY_MS } from "./params.ts"
import { termsFromComponents } from "./scoreFormula.ts"

export interface ExplainedTerm {
  /** The term's value at the time asked (average A, last impression End, peaks Peak). */
  readonly value: number
  /** Its weight ω in X. */
  readonly weight: number
}

/** One event's share of X now. */
export interface Contributor {
  /** The event id while the event is in the lateness buffer; undefined for an older one. */
  readonly id: string | undefined
  /** Known for events still in the lateness buffer. */
  readonly source: string | undefined
  readonly kind: EventKind
  readonly tMs: number
  /** Its impression v (for an open issue: the provisional one). */
  readonly v: number
  /** Its event weight w. */
  readonly weight: number
  /** Its part of ω_avg·A now. */
  readonly viaAverage: number
  /** ω_end·End now, when it is the last impression. */
  readonly viaEnd: number
  /** ω_peak·(its peak) now, when it holds P⁺ or P⁻. */
  readonly viaPeak: number
  /** viaAverage + viaEnd + viaPeak. */
  readonly contribution: number
}

export interface Explanation {
  readonly atMs: number
  readonly score: number
  /** X = Σ term.value·term.weight. */
  readonly index: number
  readonly terms: { readonly average: ExplainedTerm; readonly end: ExplainedTerm; readonly peak: ExplainedTerm }
  /** The events remembered individually, largest |contribution| first, at most `limit`. */
  readonly contributors: ReadonlyArray<Contributor>
  /**
   * The part of X the listed contributors do not account for: the average
   * term's share of events that left the buffer (or came beyond the
   * horizon), plus whatever the `limit` cut. contributors + rest = X.
   */
  readonly rest: number
}

const kinds: ReadonlyArray<EventKind> = ["touchpoint", "expectation", "issueOpened", "issueResolved", "survey"]

interface Draft {
  id: string | undefined
  source: string | undefined
  kind: EventKind
  tMs: number
  v: number
  weight: number
  /** Whether v counts in the sums now (a resolved opening's provisional was taken out). */
  inSums: boolean
  viaEnd: number
  viaPeak: number
}

/**
 * Why the score is what it is at `atMs`: the three terms with their weights,
 * and the events that contribute most now with their current contribution.
 *
 * What is remembered individually (the memory budget rules out every event):
 * the events in the lateness buffer, with their ids (re-folded here to
 * recover their impressions); the open issues; the last impression and the
 * two peak holders (by time, kind and impression). Events that left the
 * buffer are named by time and kind only (the state keeps no ids for them;
 * the raw interactions table has them). Older events are in the sums only:
 * their share is `rest`.
 */
export const explain = (s: CustomerState, atMs: number, p: Params, limit = 10): Explanation => {
  const components = componentsOf(s, p)
  const terms = termsFromComponents(components, p, atMs)
  const hPos = p.hPosDays * DAY_MS
  const hNeg = p.hNegDays * DAY_MS
  const delta = atMs > components.tRefMs ? atMs - components.tRefMs : 0
  const denominator = components.w * 2 ** (-delta / hNeg) + p.w0
  const drafts: Array<Draft> = []
  // Open issues by the hash of their id (the fold keeps no strings).
  const openingByIssue = new Map<number, Draft>()

  const fold = s.en === null ? initialFold() : copyFold({ n: s.en })
  const numbers = s.b
  const buffer = bufferBase(s)
  for (let i = 0; i < s.bc; i++) {
    const at = buffer + i * BUF_STRIDE
    const meta = foldMeta(numbers[at + B_META]!)
    const label = numbers[at + B_LABEL]!
    stepInOrder(fold, numbers, at, p)
    const kind = meta & 7
    if (kind === KIND_ISSUE_RESOLVED && !lastStep.orphan) {
      const opening = openingByIssue.get(label)
      if (opening !== undefined) opening.inSums = false
    }
    if (Number.isNaN(lastStep.v)) continue
    const draft: Draft = {
      id: bufferedId(s, i),
      source: bufferedSource(s, i),
      kind: kinds[kind]!,
      tMs: numbers[at + B_T]!,
      v: lastStep.v,
      weight: lastStep.w,
      inSums: true,
      viaEnd: 0,
      viaPeak: 0
    }
    if (kind === KIND_ISSUE_OPENED) openingByIssue.set(label, draft)
    drafts.push(draft)
  }

  // The last impression and the peak holders are kept as (time, kind, impression), not by id:
  // they are matched to the buffered events they are, else listed without an id.
  const remembered = (tMs: number, meta: number, v: number): Draft => {
    const kind = kinds[meta & 7]!
    const known = drafts.find((d) => d.tMs === tMs && d.kind === kind && Math.abs(d.v - v) <= 1e-9 * (1 + Math.abs(v)))
    if (known !== undefined) return known
    const draft: Draft = {
      id: undefined,
      source: undefined,
      kind,
      tMs,
      v,
      weight: weightOf(meta, p),
      inSums: true,
      viaEnd: 0,
      viaPeak: 0
    }
    drafts.push(draft)
    return draft
  }

  const n = s.n
  // Open issues whose opening left the buffer.
  const base = openBase(n)
  for (let i = 0; i < n[N_OPEN]!; i++) {
    const at = base + i * OPEN_STRIDE
    const label = n[at]!
    if (openingByIssue.has(label)) continue
    const draft: Draft = {
      id: undefined,
      source: undefined,
      kind: "issueOpened",
      tMs: n[at + 1]!,
      v: n[at + 4]!,
      weight: p.weightIssue,
      inSums: true,
      viaEnd: 0,
      viaPeak: 0
    }
    openingByIssue.set(label, draft)
    drafts.push(draft)
  }

  if (n[LAST_META]! !== NO_META) {
    remembered(n[LAST_T]!, n[LAST_META]!, n[LAST_V]!).viaEnd = p.omegaEnd * terms.end
  }
  if (n[P_POS_META]! !== NO_META && components.pPos > 0) {
    const tMs = n[P_POS_T]!
    const v = n[P_POS]! * 2 ** ((n[T_REF]! - tMs) / hPos)
    remembered(tMs, n[P_POS_META]!, v).viaPeak += p.omegaPeak * components.pPos * 2 ** (-delta / hPos)
  }
  if (components.pNeg < 0) {
    const negPeakNow = p.omegaPeak * components.pNeg * 2 ** (-delta / hNeg)
    if (components.pNeg === n[P_NEG]! && n[P_NEG_META]! !== NO_META) {
      const tMs = n[P_NEG_T]!
      const v = n[P_NEG]! * 2 ** ((n[T_REF]! - tMs) / hNeg)
      remembered(tMs, n[P_NEG_META]!, v).viaPeak += negPeakNow
    } else {
      // An open provisional holds P⁻: the open issue with the lowest decayed provisional.
      let holder: Draft | undefined
      let lowest = 0
      for (const draft of openingByIssue.values()) {
        if (!draft.inSums) continue
        const decayed = draft.v * 2 ** (-(n[T_REF]! - draft.tMs) / hNeg)
        if (decayed < lowest) {
          lowest = decayed
          holder = draft
        }
      }
      if (holder !== undefined) holder.viaPeak += negPeakNow
    }
  }

  const contributors: Array<Contributor> = drafts.map((d) => {
    const age = atMs > d.tMs ? atMs - d.tMs : 0
    const decay = 2 ** (-age / (d.v >= 0 ? hPos : hNeg))
    const viaAverage = d.inSums ? (p.omegaAvg * d.weight * d.v * decay) / denominator : 0
    return {
      id: d.id,
      source: d.source,
      kind: d.kind,
      tMs: d.tMs,
      v: d.v,
      weight: d.weight,
      viaAverage,
      viaEnd: d.viaEnd,
      viaPeak: d.viaPeak,
      contribution: viaAverage + d.viaEnd + d.viaPeak
    }
  })
  contributors.sort(
    (a, b) =>
      Math.abs(b.contribution) - Math.abs(a.contribution) || a.tMs - b.tMs || (a.id ?? "").localeCompare(b.id ?? "")
  )
  const listed = contributors.slice(0, limit)
  const accounted = listed.reduce((sum, c) => sum + c.contribution, 0)
  return {
    atMs,
    score: terms.score,
    index: terms.index,
    terms: {
      average: { value: terms.average, weight: p.omegaAvg },
      end: { value: terms.end, weight: p.omegaEnd },
      peak: { value: terms.peak, weight: p.omegaPeak }
    },
    contributors: listed,
    rest: terms.index - accounted
  }
}
