import { dimensionHash, hashId, issueHash, type SourceLanes, sourceLanes } from "./dedupHash.ts"
import {
  addSumsOnly,
  type Fold,
  initialFold,
  KIND_EXPECTATION,
  KIND_ISSUE_OPENED,
  KIND_ISSUE_RESOLVED,
  KIND_SURVEY,
  KIND_TOUCHPOINT,
  LAST_META,
  LAST_T,
  LAST_V,
  lastStep,
  lateImpression,
  NO_META,
  negativePeak,
  ORPHANS,
  P_POS,
  S_NEG,
  S_POS,
  stepInOrder,
  T_REF,
  usedNumbers,
  W
} from "./fold.ts"
import { branchNames, type RecoveryBranch, SCALE_CES, SCALE_CSAT, SCALE_NPS } from "./impressions.ts"
import type {
  ExpectationEvent,
  IssueOpenedEvent,
  IssueResolvedEvent,
  ModelEvent,
  SurveyEvent,
  TouchpointEvent
} from "./modelEvent.ts"
import type { Params } from "./params.ts"
import { HOUR_MS } from "./params.ts"
import { type ScoreComponents, scoreFromComponents } from "./scoreFormula.ts"

/**
 * One customer's experience state (scoring-model.md, "State and decay" and
 * "Order, lateness, determinism").
 *
 * - `n` (a `Fold`, see `fold.ts`) folds every event applied so far: in
 *   canonical order for all events inside the lateness horizon.
 * - The lateness buffer holds the `bc` most recent events (within the
 *   allowed lateness of t_ref, at most `bufferCap`) in canonical order,
 *   packed: `bn` has `BUF_STRIDE` numbers per event (t, meta, x, y, dedup
 *   hash, label = hash of the dimension or issue id), `bs` `BUF_STRINGS`
 *   strings (id, source). The arrays may have room for a few more events.
 * - `en` folds the events that left the buffer (null while none has). A
 *   late event inside the horizon is inserted into the buffer and the fold is
 *   rebuilt as that evicted fold plus the buffer, so any arrival order inside
 *   the horizon performs the very same floating-point operations: the state
 *   is bit-identical.
 * - `seen` is a ring of `sc` (t, 53-bit hash) pairs from pair `ss` on: the
 *   events that left the buffer (or came beyond the horizon) inside the dedup
 *   horizon, oldest first, at most `dedupCap`.
 *
 * The arrays hang directly off the state (no wrapper objects) and are reused
 * in place: a million customers must fit in memory, a fold across many
 * customers is bound by the cache lines each event touches, and an array
 * replaced per event would be copied by every young-generation GC.
 *
 * `apply` mutates the state in place (one owner, one fold loop); `cloneState`
 * keeps a copy.
 */
export class CustomerState implements Fold {
  n: Array<number>
  en: Array<number> | null
  bn: Array<number>
  bs: Array<string>
  /** Buffered events. */
  bc: number
  seen: Array<number>
  /** First remembered pair. */
  ss: number
  /** Remembered pairs. */
  sc: number
  /** Greatest event time that left the buffer (−∞: none). */
  evictedT: number
  /** Arrivals, duplicates included: the per-customer sequence number of the last one. */
  seq: number
  /** Events applied (every arrival but duplicates). */
  events: number
  /** Events beyond the lateness horizon (sums and peaks only). */
  late: number
  duplicates: number
  /** Events inside the horizon that arrived out of canonical order (each caused a re-fold). */
  reordered: number

  constructor(
    n: Array<number>,
    en: Array<number> | null,
    bn: Array<number>,
    bs: Array<string>,
    bc: number,
    seen: Array<number>,
    ss: number,
    sc: number,
    evictedT: number,
    seq: number,
    events: number,
    late: number,
    duplicates: number,
    reordered: number
  ) {
    this.n = n
    this.en = en
    this.bn = bn
    this.bs = bs
    this.bc = bc
    this.seen = seen
    this.ss = ss
    this.sc = sc
    this.evictedT = evictedT
    this.seq = seq
    this.events = events
    this.late = late
    this.duplicates = duplicates
    this.reordered = reordered
  }

  /** Resolutions of issues the fold did not know when it folded them. */
  get orphanResolutions(): number {
    return this.n[ORPHANS]!
  }
}

export const BUF_STRIDE = 6
export const BUF_STRINGS = 2

const empty: Array<never> = []

export const emptyState = (): CustomerState => {
  const { n } = initialFold()
  return new CustomerState(n, null, empty, empty, 0, empty, 0, 0, Number.NEGATIVE_INFINITY, 0, 0, 0, 0, 0)
}

/** An independent copy, with exact-size arrays. */
export const cloneState = (s: CustomerState): CustomerState =>
  new CustomerState(
    s.n.slice(0, usedNumbers(s.n)),
    s.en === null ? null : s.en.slice(0, usedNumbers(s.en)),
    s.bc === 0 ? empty : s.bn.slice(0, s.bc * BUF_STRIDE),
    s.bc === 0 ? empty : s.bs.slice(0, s.bc * BUF_STRINGS),
    s.bc,
    rememberedPairs(s),
    0,
    s.sc,
    s.evictedT,
    s.seq,
    s.events,
    s.late,
    s.duplicates,
    s.reordered
  )

/** The remembered (t, hash) pairs in order, exact size (for copies and serialization). */
export const rememberedPairs = (s: CustomerState): Array<number> => {
  if (s.sc === 0) return empty
  const pairs = s.seen.length >> 1
  const out = new Array<number>(s.sc * 2)
  for (let i = 0; i < s.sc; i++) {
    const from = ((s.ss + i) % pairs) * 2
    out[i * 2] = s.seen[from]!
    out[i * 2 + 1] = s.seen[from + 1]!
  }
  return out
}

/** The evicted fold as a `Fold` (module-level, to step it without allocating). */
const evictedHost: Fold = { n: [] }

const openEvicted = (s: CustomerState): Fold => {
  evictedHost.n = s.en === null ? initialFold().n : s.en
  return evictedHost
}

const closeEvicted = (s: CustomerState): void => {
  s.en = evictedHost.n
}

/**
 * Sources and dimension names repeat across millions of events: a source is
 * kept as one shared string instance (buffered events stay small) with its
 * hash lanes computed once, a dimension as its cached label hash. Only a
 * memory and speed measure, bounded so that a flood of distinct values
 * cannot grow it without limit.
 */
const INTERN_LIMIT = 65_536
const dimensionLabels = new Map<string, number>()
/** The label hash of a dimension name, cached: dimension names are few and repeat on every expectation. */
const dimensionLabel = (name: string): number => {
  const known = dimensionLabels.get(name)
  if (known !== undefined) return known
  const label = dimensionHash(name)
  if (dimensionLabels.size < INTERN_LIMIT) dimensionLabels.set(name, label)
  return label
}

interface KnownSource extends SourceLanes {
  readonly value: string
}
const sources = new Map<string, KnownSource>()
let lastSource: KnownSource = { value: "", ...sourceLanes("") }
const knownSource = (source: string): KnownSource => {
  // Runs of one source are common; a string comparison is cheaper than hashing it for the map.
  if (source === lastSource.value) return lastSource
  let known = sources.get(source)
  if (known === undefined) {
    known = { value: source, ...sourceLanes(source) }
    if (sources.size < INTERN_LIMIT) sources.set(source, known)
  }
  lastSource = known
  return known
}

/** The packed form of the arriving event, in module-level slots (allocation-free). */
const packed = { meta: 0, x: 0, y: 0, label: 0 }

/**
 * Packs the arriving event. Dispatches on the kind's length and first letter
 * rather than comparing strings: a decoder's strings of more than ten
 * characters are not internalized, and comparing them would cost more than
 * everything else here.
 */
const pack = (event: ModelEvent): void => {
  const kind = event.kind
  const first = kind.charCodeAt(0)
  if (first === 116 /* t */) {
    const e = event as TouchpointEvent
    packed.meta = KIND_TOUCHPOINT
    packed.x = e.quality
    packed.y = 0
    packed.label = 0
  } else if (first === 101 /* e */) {
    const e = event as ExpectationEvent
    packed.meta = KIND_EXPECTATION | (e.negotiated ? 8 : 0)
    packed.x = e.expected
    packed.y = e.actual
    packed.label = dimensionLabel(e.dimension)
  } else if (first === 115 /* s */) {
    const e = event as SurveyEvent
    packed.meta = KIND_SURVEY | ((e.scale === "nps" ? SCALE_NPS : e.scale === "csat" ? SCALE_CSAT : SCALE_CES) << 4)
    packed.x = e.value
    packed.y = 0
    packed.label = 0
  } else if (kind.length === 11 /* issueOpened */) {
    const e = event as IssueOpenedEvent
    packed.meta = KIND_ISSUE_OPENED
    packed.x = e.severity
    packed.y = 0
    packed.label = issueHash(e.issueId)
  } else {
    const e = event as IssueResolvedEvent
    packed.meta = KIND_ISSUE_RESOLVED | (e.withinSla ? 8 : 0)
    packed.x = e.quality
    packed.y = 0
    packed.label = issueHash(e.issueId)
  }
}

/** What one `apply` did: what the scorer turns into a score record. */
export interface ApplyOutcome {
  /** This arrival's per-customer sequence number (1, 2, …; a duplicate gets one too). */
  readonly seq: number
  /** False only for a duplicate. */
  readonly applied: boolean
  /** The same (source, id) was seen within the dedup memory: only the duplicate count changed. */
  readonly duplicate: boolean
  /** Beyond the lateness horizon: sums and peaks only, counted. */
  readonly late: boolean
  /** Inside the horizon but out of canonical order: the buffer was re-folded. */
  readonly reordered: boolean
  /** A resolution of an issue that was not open when it was folded (no score effect). */
  readonly orphanResolution: boolean
  /** An opening of an issue that is already open (no score effect). */
  readonly repeatedOpening: boolean
  /** The event's impression v (for "negative moments"); undefined when it has none. */
  readonly v: number | undefined
  /** For a resolution that closed an issue: the recovery branch. */
  readonly recovery: RecoveryBranch | undefined
}

/** A caller-owned outcome that `applyInto` overwrites: for loops that must not allocate per event. */
export type MutableApplyOutcome = { -readonly [K in keyof ApplyOutcome]: ApplyOutcome[K] }

export const newOutcome = (): MutableApplyOutcome => ({
  seq: 0,
  applied: false,
  duplicate: false,
  late: false,
  reordered: false,
  orphanResolution: false,
  repeatedOpening: false,
  v: undefined,
  recovery: undefined
})

const report = (
  out: MutableApplyOutcome,
  seq: number,
  late: boolean,
  reordered: boolean,
  v: number,
  branch: number,
  orphan: boolean,
  repeatedOpening: boolean
): void => {
  out.seq = seq
  out.applied = true
  out.duplicate = false
  out.late = late
  out.reordered = reordered
  out.orphanResolution = orphan
  out.repeatedOpening = repeatedOpening
  out.v = Number.isNaN(v) ? undefined : v
  out.recovery = branchNames[branch]
}

/** Compares the key (t, id, source) of buffered event `i` with the given one. */
const compareWithBuffered = (s: CustomerState, i: number, t: number, id: string, source: string): number => {
  const bt = s.bn[i * BUF_STRIDE]!
  if (bt !== t) return bt < t ? -1 : 1
  const bid = s.bs[i * BUF_STRINGS]!
  if (bid !== id) return bid < id ? -1 : 1
  const bsource = s.bs[i * BUF_STRINGS + 1]!
  if (bsource !== source) return bsource < source ? -1 : 1
  return 0
}

/** Buffered events by hash, confirmed by their strings; older ones by hash alone. */
const isDuplicate = (s: CustomerState, hash: number, source: string, id: string): boolean => {
  const bn = s.bn
  const end = s.bc * BUF_STRIDE
  for (let i = 4; i < end; i += BUF_STRIDE) {
    if (bn[i] === hash) {
      const at = ((i - 4) / BUF_STRIDE) * BUF_STRINGS
      if (s.bs[at] === id && s.bs[at + 1] === source) return true
    }
  }
  const seen = s.seen
  const pairs = seen.length >> 1
  let at = s.ss
  for (let i = 0; i < s.sc; i++) {
    if (seen[at * 2 + 1] === hash) return true
    at = at + 1 === pairs ? 0 : at + 1
  }
  return false
}

/** Buffer and dedup arrays keep room for at most this many more entries (memory against re-allocation). */
const SLACK = 2

/**
 * Remembers an event that is not (or no longer) in the buffer, as a (t, hash)
 * pair in a ring: `sc` pairs from pair `ss` on, wrapping around. Pairs older
 * than the dedup horizon leave from the front (events leave the buffer in
 * time order, so the front is the oldest but for the rare event that came
 * beyond the horizon), and so does the oldest beyond `dedupCap`. The ring
 * only grows (by `SLACK` pairs, up to `dedupCap`); a restored state is exact-size.
 */
const remember = (s: CustomerState, t: number, hash: number, p: Params): void => {
  const cap = p.dedupCap
  if (cap === 0) return
  const horizon = s.n[T_REF]! - p.dedupHorizonHours * HOUR_MS
  if (t < horizon) return
  let seen = s.seen
  let pairs = seen.length >> 1
  let start = s.ss
  let count = s.sc
  while (count > 0 && seen[start * 2]! < horizon) {
    start = start + 1 === pairs ? 0 : start + 1
    count--
  }
  if (count >= cap) {
    const out = count - cap + 1
    start = (start + out) % pairs
    count -= out
  }
  if (count === pairs) {
    const grown = Math.min(cap, pairs + SLACK)
    const next = new Array<number>(grown * 2)
    for (let i = 0; i < count; i++) {
      const from = ((start + i) % pairs) * 2
      next[i * 2] = seen[from]!
      next[i * 2 + 1] = seen[from + 1]!
    }
    for (let i = count * 2; i < grown * 2; i++) next[i] = 0
    seen = next
    pairs = grown
    start = 0
    s.seen = next
  }
  let at = start + count
  if (at >= pairs) at -= pairs
  seen[at * 2] = t
  seen[at * 2 + 1] = hash
  s.ss = start
  s.sc = count + 1
}

/** Folds the first `k` buffered events into the evicted fold (the caller drops them from the buffer). */
const evictHead = (s: CustomerState, k: number, p: Params): void => {
  if (k === 0) return
  const bn = s.bn
  const evicted = openEvicted(s)
  for (let i = 0; i < k; i++) {
    const at = i * BUF_STRIDE
    const t = bn[at]!
    stepInOrder(evicted, t, bn[at + 1]!, bn[at + 2]!, bn[at + 3]!, bn[at + 5]!, p)
    if (t > s.evictedT) s.evictedT = t
    remember(s, t, bn[at + 4]!, p)
  }
  closeEvicted(s)
}

/** Copies the current fold into the evicted one, in place when it has room (the usual case). */
const evictedBecomesCurrent = (s: CustomerState): void => {
  const n = s.n
  const used = usedNumbers(n)
  const en = s.en
  if (en !== null && en.length >= used) {
    for (let i = 0; i < used; i++) en[i] = n[i]!
    for (let i = used; i < en.length; i++) en[i] = 0
  } else {
    s.en = n.slice()
  }
}

/**
 * Drops the first `drop` buffered events and opens a slot at `index` (an
 * index into the result): in place while the arrays have room and at most
 * `SLACK` events more, otherwise into new arrays sized by us (V8's push and
 * splice would leave up to 50% slack).
 */
const reshapeBuffer = (s: CustomerState, drop: number, index: number): void => {
  const keep = s.bc - drop
  const count = keep + 1
  const bn = s.bn
  const bs = s.bs
  const capacity = bn.length / BUF_STRIDE
  if (capacity < count || capacity > count + SLACK) {
    // Growing leaves room for SLACK more (events come in sessions); shrinking is to the exact size.
    const size = capacity < count ? count + SLACK : count
    const outN = new Array<number>(size * BUF_STRIDE)
    const outS = new Array<string>(size * BUF_STRINGS)
    for (let i = 0; i < keep; i++) {
      const to = i < index ? i : i + 1
      for (let j = 0; j < BUF_STRIDE; j++) outN[to * BUF_STRIDE + j] = bn[(i + drop) * BUF_STRIDE + j]!
      for (let j = 0; j < BUF_STRINGS; j++) outS[to * BUF_STRINGS + j] = bs[(i + drop) * BUF_STRINGS + j]!
    }
    for (let i = count * BUF_STRIDE; i < size * BUF_STRIDE; i++) outN[i] = 0
    for (let i = count * BUF_STRINGS; i < size * BUF_STRINGS; i++) outS[i] = ""
    s.bn = outN
    s.bs = outS
    s.bc = count
    return
  }
  if (drop > 0) {
    for (let i = drop * BUF_STRIDE; i < s.bc * BUF_STRIDE; i++) bn[i - drop * BUF_STRIDE] = bn[i]!
    for (let i = drop * BUF_STRINGS; i < s.bc * BUF_STRINGS; i++) bs[i - drop * BUF_STRINGS] = bs[i]!
  }
  for (let i = keep * BUF_STRIDE - 1; i >= index * BUF_STRIDE; i--) bn[i + BUF_STRIDE] = bn[i]!
  for (let i = keep * BUF_STRINGS - 1; i >= index * BUF_STRINGS; i--) bs[i + BUF_STRINGS] = bs[i]!
  // Vacated slots must not keep old ids alive.
  for (let i = count * BUF_STRINGS; i < s.bc * BUF_STRINGS; i++) bs[i] = ""
  s.bc = count
}

/** Writes the packed arriving event into buffer slot `index`. */
const writeBuffered = (s: CustomerState, index: number, t: number, hash: number, id: string, source: string) => {
  const at = index * BUF_STRIDE
  const st = index * BUF_STRINGS
  const bn = s.bn
  const bs = s.bs
  bn[at] = t
  bn[at + 1] = packed.meta
  bn[at + 2] = packed.x
  bn[at + 3] = packed.y
  bn[at + 4] = hash
  bn[at + 5] = packed.label
  bs[st] = id
  bs[st + 1] = source
}

/** Rebuilds the fold from the evicted one and the whole buffer; reports the step of buffer index `watch`. */
const refold = (s: CustomerState, watch: number, p: Params, out: MutableApplyOutcome, seq: number): void => {
  const fresh: Fold = s.en === null ? initialFold() : { n: s.en.slice() }
  const bn = s.bn
  for (let i = 0; i < s.bc; i++) {
    const at = i * BUF_STRIDE
    stepInOrder(fresh, bn[at]!, bn[at + 1]!, bn[at + 2]!, bn[at + 3]!, bn[at + 5]!, p)
    if (i === watch) {
      report(out, seq, false, true, lastStep.v, lastStep.branch, lastStep.orphan, lastStep.repeatedOpening)
    }
  }
  s.n = fresh.n
}

/**
 * An event beyond the horizon: exact in the commutative sums and peaks (of
 * the current and the evicted fold alike), nothing order-dependent moves,
 * counted as late. Reads the packed event.
 */
const applyLate = (
  s: CustomerState,
  out: MutableApplyOutcome,
  seq: number,
  t: number,
  hash: number,
  p: Params
): void => {
  s.late++
  const v = lateImpression(s, t, packed.meta, packed.x, packed.y, packed.label, p)
  if (!Number.isNaN(v)) {
    addSumsOnly(s, t, v, packed.meta, p)
    addSumsOnly(openEvicted(s), t, v, packed.meta, p)
    closeEvicted(s)
  }
  remember(s, t, hash, p)
  report(out, seq, true, false, v, 0, false, false)
}

/**
 * Applies one event to the state, in place, and writes what happened into
 * `out`. An event inside the allowed lateness of t_ref (and after everything
 * that already left the buffer) is folded in canonical order, re-folding the
 * buffer when it arrived out of order; an older one touches the sums and
 * peaks only and is counted as late; a (source, id) seen again within the
 * dedup memory is counted as a duplicate and changes nothing else.
 */
export const applyInto = (s: CustomerState, event: ModelEvent, p: Params, out: MutableApplyOutcome): void => {
  const seq = ++s.seq
  const t = event.t
  const id = event.id
  const known = knownSource(event.source)
  const source = known.value
  const hash = hashId(known, id)
  if (isDuplicate(s, hash, source, id)) {
    s.duplicates++
    out.seq = seq
    out.applied = false
    out.duplicate = true
    out.late = false
    out.reordered = false
    out.orphanResolution = false
    out.repeatedOpening = false
    out.v = undefined
    out.recovery = undefined
    return
  }
  s.events++
  pack(event)
  const count = s.bc
  const tRef = s.n[T_REF]!
  const lateness = p.allowedLatenessHours * HOUR_MS

  if (count === 0 || compareWithBuffered(s, count - 1, t, id, source) < 0) {
    // In canonical order, the usual case. Which buffered events does it push out?
    const oldest = (t > tRef ? t : tRef) - lateness
    const bn = s.bn
    let drop = 0
    while (drop < count && (bn[drop * BUF_STRIDE]! < oldest || count - drop + 1 > p.bufferCap)) drop++
    if (drop === count && count > 0) {
      // All of them: the evicted fold becomes the current one, copied rather than re-stepped.
      evictedBecomesCurrent(s)
      stepInOrder(s, t, packed.meta, packed.x, packed.y, packed.label, p)
      report(out, seq, false, false, lastStep.v, lastStep.branch, lastStep.orphan, lastStep.repeatedOpening)
      for (let i = 0; i < count; i++) {
        const at = i * BUF_STRIDE
        if (bn[at]! > s.evictedT) s.evictedT = bn[at]!
        remember(s, bn[at]!, bn[at + 4]!, p)
      }
    } else {
      stepInOrder(s, t, packed.meta, packed.x, packed.y, packed.label, p)
      // Read the step before the evicted fold is stepped.
      report(out, seq, false, false, lastStep.v, lastStep.branch, lastStep.orphan, lastStep.repeatedOpening)
      evictHead(s, drop, p)
    }
    reshapeBuffer(s, drop, count - drop)
    writeBuffered(s, count - drop, t, hash, id, source)
    return
  }

  // Out of order. Beyond the horizon when older than the allowed lateness, or not after
  // everything that already left the buffer (an equal time is taken as not after).
  if (t < tRef - lateness || t <= s.evictedT) {
    applyLate(s, out, seq, t, hash, p)
    return
  }
  // Inside the horizon: its place (usually near the end).
  let index = count - 1
  while (index > 0 && compareWithBuffered(s, index - 1, t, id, source) > 0) index--
  const drop = count + 1 > p.bufferCap ? count + 1 - p.bufferCap : 0
  // A full buffer pushes its oldest events out; if this one would be among them, it is beyond the horizon.
  if (index < drop) {
    applyLate(s, out, seq, t, hash, p)
    return
  }
  evictHead(s, drop, p)
  reshapeBuffer(s, drop, index - drop)
  writeBuffered(s, index - drop, t, hash, id, source)
  s.reordered++
  refold(s, index - drop, p, out, seq)
}

/** Applies one event to the state, in place (see `applyInto`), and returns what happened. */
export const apply = (s: CustomerState, event: ModelEvent, p: Params): ApplyOutcome => {
  const out = newOutcome()
  applyInto(s, event, p, out)
  return out
}

/**
 * Subnormal doubles (below 2^−1022 in magnitude) read as 0: ClickHouse 18.16
 * cannot parse them (a literal is a syntax error, a string converts to 0), so
 * components that reach storage never hold one. The score moves by less than
 * 1e-300.
 */
const normal = (x: number): number => (x > -2.2250738585072014e-308 && x < 2.2250738585072014e-308 ? 0 : x)

/** The stored numbers the score is a closed formula of (see `scoreFormula.ts`). */
export const componentsOf = (s: CustomerState, p: Params): ScoreComponents => {
  const n = s.n
  return {
    tRefMs: n[T_REF]!,
    sPos: normal(n[S_POS]!),
    sNeg: normal(n[S_NEG]!),
    w: normal(n[W]!),
    pPos: normal(n[P_POS]!),
    pNeg: normal(negativePeak(s, p)),
    // Without a last impression End is 0 whatever its time; t_ref keeps the
    // stored time meaningful (the score record documents this convention).
    lastTMs: n[LAST_META]! === NO_META ? n[T_REF]! : n[LAST_T]!,
    lastV: normal(n[LAST_V]!)
  }
}

/** The score at `atMs` (read as t_ref when earlier: decay runs forward only). */
export const scoreAt = (s: CustomerState, atMs: number, p: Params): number =>
  scoreFromComponents(componentsOf(s, p), p, atMs)

/** The latest event time applied (t_ref), or undefined for a state without events. */
export const latestEventTime = (s: CustomerState): number | undefined => (s.events === 0 ? undefined : s.n[T_REF]!)
