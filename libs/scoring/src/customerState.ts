import { dimensionHash, issueHashInto } from "./dedupHash.ts"
import { acquire, copyOf, doubles, release, strings } from "./doubleArrays.ts"
import { key, packId, readKey, sourceIndexOf, sourceName, unpackId } from "./eventKey.ts"
import {
  addSumsOnly,
  E_LABEL,
  E_META,
  E_T,
  E_X,
  E_Y,
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
  OPEN_STRIDE,
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
 * - `en` folds the events that left the lateness buffer (null while none
 *   has). A late event inside the horizon is inserted into the buffer and
 *   the fold is rebuilt as that evicted fold plus the buffer, so any arrival
 *   order inside the horizon performs the very same floating-point
 *   operations: the state is bit-identical.
 * - `b`, one double array, holds the rest: at 0 the greatest event time
 *   that left the buffer (−∞: none); from `RING` on the dedup memory, a
 *   ring of `rc` (t, 53-bit hash) pairs of which `sc` from pair `ss` on are
 *   in use (the events that left the buffer, or came beyond the horizon,
 *   inside the dedup horizon, oldest first, at most `dedupCap`); then the
 *   lateness buffer, the `bc` most recent events (within the allowed
 *   lateness of t_ref, at most `bufferCap`) in canonical order,
 *   `BUF_STRIDE` numbers each (see the `B_` offsets), with room for a few
 *   more.
 * - `bs` holds, per buffer slot, the id and the source of a buffered event
 *   whose identity is not packed into numbers (see `eventKey.ts`); null
 *   while every buffered event's is.
 *
 * One double array rather than one per part, and numbers rather than
 * strings: a million customers must fit in memory (every array costs a
 * 32-byte header and a 16-byte backing-store header, every string 24 bytes
 * and more), a fold across many customers is bound by the cache lines each
 * event touches, and every young string or array the state keeps is copied
 * by the young-generation GC. The arrays are reused in place.
 *
 * `apply` mutates the state in place (one owner, one fold loop); `cloneState`
 * keeps a copy.
 */
export class CustomerState implements Fold {
  n: Array<number>
  en: Array<number> | null
  b: Array<number>
  bs: Array<string> | null
  /** Buffered events. */
  bc: number
  /** Pairs the dedup ring has room for. */
  rc: number
  /** First remembered pair. */
  ss: number
  /** Remembered pairs. */
  sc: number
  /** Arrivals, duplicates included: the per-customer sequence number of the last one. */
  seq: number
  /** Events applied (every arrival but duplicates). */
  events: number
  /** Events beyond the lateness horizon (sums and peaks only). */
  late: number
  duplicates: number
  /** Events inside the horizon that arrived out of canonical order (each caused a re-fold). */
  reordered: number
  /**
   * A filter of the dedup hashes in `b` (buffered and remembered): the
   * `dedupBit` of each. A bit may outlive its hash (it is only recomputed
   * when the ring is laid out afresh), never the other way round, so an
   * arrival whose bit is clear is no duplicate and skips the search. Derived,
   * not serialized.
   */
  seen: number

  constructor(
    n: Array<number>,
    en: Array<number> | null,
    b: Array<number>,
    bs: Array<string> | null,
    bc: number,
    rc: number,
    ss: number,
    sc: number,
    seq: number,
    events: number,
    late: number,
    duplicates: number,
    reordered: number
  ) {
    this.n = n
    this.en = en
    this.b = b
    this.bs = bs
    this.bc = bc
    this.rc = rc
    this.ss = ss
    this.sc = sc
    this.seq = seq
    this.events = events
    this.late = late
    this.duplicates = duplicates
    this.reordered = reordered
    this.seen = 0
  }

  /** Resolutions of issues the fold did not know when it folded them. */
  get orphanResolutions(): number {
    return this.n[ORPHANS]!
  }

  /** The greatest event time that left the buffer (−∞: none). */
  get evictedT(): number {
    return this.b[0]!
  }
}

/**
 * The bit of a dedup hash in `seen`: one of 30, from the hash's low bits,
 * so that the filter is a small integer (V8 keeps a field holding one
 * unboxed in the object). With the dozen hashes a state holds, about one
 * arrival in four finds its bit set and searches.
 */
const dedupBit = (hash: number): number => {
  const low = (hash | 0) & 31
  return 1 << (low < 30 ? low : low - 30)
}

/** The first pair of the dedup ring in `b`. */
export const RING = 1
/** Numbers per buffered event, and their offsets (the fold reads a slot as an event: see `E_T` in fold.ts). */
export const BUF_STRIDE = 9
export const B_T = E_T
/** The fold's meta (kind, flag, scale) in the low byte, the source's index (eventKey.ts; 0: in `bs`) above it. */
export const B_META = E_META
export const B_X = E_X
export const B_Y = E_Y
/** The dedup hash of (source, id). */
export const B_HASH = 4
/** The hash of the dimension or issue id. */
export const B_LABEL = E_LABEL
/** The packed id (B_K0 < 0: the id is in `bs`). */
export const B_K0 = 6
export const B_K1 = 7
export const B_K2 = 8
const SOURCE_SHIFT = 8

/** The fold's meta of a buffered meta. */
export const foldMeta = (bufferedMeta: number): number => bufferedMeta & 255

/** Where the buffer starts in `b`. */
export const bufferBase = (s: CustomerState): number => RING + 2 * s.rc

/** The id of buffered event `i`. */
export const bufferedId = (s: CustomerState, i: number): string => {
  const at = bufferBase(s) + i * BUF_STRIDE
  const k0 = s.b[at + B_K0]!
  return k0 >= 0 ? unpackId(k0, s.b[at + B_K1]!, s.b[at + B_K2]!) : s.bs![i * 2]!
}

/** The source of buffered event `i`. */
export const bufferedSource = (s: CustomerState, i: number): string => {
  const source = s.b[bufferBase(s) + i * BUF_STRIDE + B_META]! >> SOURCE_SHIFT
  return source > 0 ? sourceName(source) : s.bs![i * 2 + 1]!
}

export const emptyState = (): CustomerState => {
  const { n } = initialFold()
  return new CustomerState(n, null, [Number.NEGATIVE_INFINITY], null, 0, 0, 0, 0, 0, 0, 0, 0, 0)
}

/** The remembered (t, hash) pairs in order, exact size (for copies and serialization). */
export const rememberedPairs = (s: CustomerState): Array<number> => {
  const out = doubles(s.sc * 2)
  for (let i = 0; i < s.sc; i++) {
    const from = RING + ((s.ss + i) % s.rc) * 2
    out[i * 2] = s.b[from]!
    out[i * 2 + 1] = s.b[from + 1]!
  }
  return out
}

/**
 * A state from its parts, exact-size: the folds, the greatest evicted time,
 * the buffered events as (t, fold meta, x, y, hash, label) numbers with
 * their (id, source) strings, and the remembered pairs in order. For
 * copies and restored states.
 */
export const assembleState = (
  n: Array<number>,
  en: Array<number> | null,
  evictedT: number,
  buffered: ReadonlyArray<number>,
  identities: ReadonlyArray<string>,
  pairs: ReadonlyArray<number>,
  seq: number,
  events: number,
  late: number,
  duplicates: number,
  reordered: number
): CustomerState => {
  const count = buffered.length / 6
  const rc = pairs.length / 2
  const base = RING + 2 * rc
  const b = doubles(base + count * BUF_STRIDE)
  b[0] = evictedT
  for (let i = 0; i < pairs.length; i++) b[RING + i] = pairs[i]!
  let bs: Array<string> | null = null
  for (let i = 0; i < count; i++) {
    const at = base + i * BUF_STRIDE
    const id = identities[i * 2]!
    const sourceString = identities[i * 2 + 1]!
    const source = sourceIndexOf(sourceString)
    packId(id)
    b[at + B_T] = buffered[i * 6]!
    b[at + B_META] = buffered[i * 6 + 1]! | (source << SOURCE_SHIFT)
    b[at + B_X] = buffered[i * 6 + 2]!
    b[at + B_Y] = buffered[i * 6 + 3]!
    b[at + B_HASH] = buffered[i * 6 + 4]!
    b[at + B_LABEL] = buffered[i * 6 + 5]!
    b[at + B_K0] = key.k0
    b[at + B_K1] = key.k0 >= 0 ? key.k1 : 0
    b[at + B_K2] = key.k0 >= 0 ? key.k2 : 0
    if (key.k0 < 0 || source === 0) {
      if (bs === null) bs = strings(count * 2)
      if (key.k0 < 0) bs[i * 2] = id
      if (source === 0) bs[i * 2 + 1] = sourceString
    }
  }
  const s = new CustomerState(n, en, b, bs, count, rc, 0, rc, seq, events, late, duplicates, reordered)
  let seen = 0
  for (let i = 0; i < rc; i++) seen |= dedupBit(b[RING + i * 2 + 1]!)
  for (let i = 0; i < count; i++) seen |= dedupBit(b[base + i * BUF_STRIDE + B_HASH]!)
  s.seen = seen
  return s
}

/** The buffered events as (t, fold meta, x, y, hash, label) numbers and (id, source) strings. */
export const bufferedParts = (s: CustomerState): { numbers: Array<number>; identities: Array<string> } => {
  const numbers = doubles(s.bc * 6)
  const identities = strings(s.bc * 2)
  const base = bufferBase(s)
  for (let i = 0; i < s.bc; i++) {
    const at = base + i * BUF_STRIDE
    numbers[i * 6] = s.b[at + B_T]!
    numbers[i * 6 + 1] = foldMeta(s.b[at + B_META]!)
    numbers[i * 6 + 2] = s.b[at + B_X]!
    numbers[i * 6 + 3] = s.b[at + B_Y]!
    numbers[i * 6 + 4] = s.b[at + B_HASH]!
    numbers[i * 6 + 5] = s.b[at + B_LABEL]!
    identities[i * 2] = bufferedId(s, i)
    identities[i * 2 + 1] = bufferedSource(s, i)
  }
  return { numbers, identities }
}

/** An independent copy, with exact-size arrays. */
export const cloneState = (s: CustomerState): CustomerState => {
  const { numbers, identities } = bufferedParts(s)
  return assembleState(
    s.n.slice(0, usedNumbers(s.n)),
    s.en === null ? null : s.en.slice(0, usedNumbers(s.en)),
    s.evictedT,
    numbers,
    identities,
    rememberedPairs(s),
    s.seq,
    s.events,
    s.late,
    s.duplicates,
    s.reordered
  )
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
 * Dimension names repeat across millions of events: each maps to its label
 * hash through a cache, bounded so that a flood of distinct names cannot
 * grow it without limit.
 */
const INTERN_LIMIT = 65_536
const dimensionLabels = new Map<string, number>()
/** The last dimension of each length (mod 32) and its label: see `sourceIndexOf` (eventKey.ts) for why. */
const LABEL_CACHE = 32
const cachedDimensions: Array<string> = new Array<string>(LABEL_CACHE).fill("")
const cachedLabels: Array<number> = new Array<number>(LABEL_CACHE).fill(0.5).fill(0)
/**
 * Writes the label hash of a dimension name into `into[at]`, cached:
 * dimension names are few and repeat on every expectation. (Written, not
 * returned: see `hashIdInto`.)
 */
const dimensionLabelInto = (name: string, into: Array<number>, at: number): void => {
  const slot = name.length & (LABEL_CACHE - 1)
  if (name === cachedDimensions[slot] && name.length > 0) {
    into[at] = cachedLabels[slot]!
    return
  }
  let label = dimensionLabels.get(name)
  if (label === undefined) {
    label = dimensionHash(name)
    if (dimensionLabels.size < INTERN_LIMIT) dimensionLabels.set(name, label)
  }
  cachedDimensions[slot] = name
  cachedLabels[slot] = label
  into[at] = label
}

/**
 * The arriving event, packed as a buffer slot (`BUF_STRIDE` numbers at the
 * `B_` offsets): module-level, so that no double is passed to a function
 * V8 does not inline (each would be boxed) and nothing is allocated per event.
 */
const arrival = doubles(BUF_STRIDE)

/**
 * Packs the arriving event's kind and payload into `arrival`. Dispatches on the kind's length and first letter
 * rather than comparing strings: a decoder's strings of more than ten
 * characters are not internalized, and comparing them would cost more than
 * everything else here.
 */
const pack = (event: ModelEvent): void => {
  const kind = event.kind
  const first = kind.charCodeAt(0)
  if (first === 116 /* t */) {
    const e = event as TouchpointEvent
    arrival[B_META] = KIND_TOUCHPOINT
    arrival[B_X] = e.quality
    arrival[B_Y] = 0
    arrival[B_LABEL] = 0
  } else if (first === 101 /* e */) {
    const e = event as ExpectationEvent
    arrival[B_META] = KIND_EXPECTATION | (e.negotiated ? 8 : 0)
    arrival[B_X] = e.expected
    arrival[B_Y] = e.actual
    dimensionLabelInto(e.dimension, arrival, B_LABEL)
  } else if (first === 115 /* s */) {
    const e = event as SurveyEvent
    arrival[B_META] = KIND_SURVEY | ((e.scale === "nps" ? SCALE_NPS : e.scale === "csat" ? SCALE_CSAT : SCALE_CES) << 4)
    arrival[B_X] = e.value
    arrival[B_Y] = 0
    arrival[B_LABEL] = 0
  } else if (kind.length === 11 /* issueOpened */) {
    const e = event as IssueOpenedEvent
    arrival[B_META] = KIND_ISSUE_OPENED
    arrival[B_X] = e.severity
    arrival[B_Y] = 0
    issueHashInto(e.issueId, arrival, B_LABEL)
  } else {
    const e = event as IssueResolvedEvent
    arrival[B_META] = KIND_ISSUE_RESOLVED | (e.withinSla ? 8 : 0)
    arrival[B_X] = e.quality
    arrival[B_Y] = 0
    issueHashInto(e.issueId, arrival, B_LABEL)
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

/**
 * A caller-owned outcome that `applyInto` overwrites: for loops that must not
 * allocate per event. The impression is kept as a number (NaN: none) in a
 * field V8 stores unboxed; `v` reads it as the `ApplyOutcome` it is.
 */
export class MutableApplyOutcome implements ApplyOutcome {
  seq = 0
  applied = false
  duplicate = false
  late = false
  reordered = false
  orphanResolution = false
  repeatedOpening = false
  recovery: RecoveryBranch | undefined = undefined
  /** The impression, NaN when the event has none. */
  impression = Number.NaN

  get v(): number | undefined {
    return Number.isNaN(this.impression) ? undefined : this.impression
  }
}

export const newOutcome = (): MutableApplyOutcome => new MutableApplyOutcome()

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
  out.impression = v
  out.recovery = branchNames[branch]
}

/** Compares the key (t, id, source) of buffered event `i` with the arriving one (`arrival`). */
const compareWithBuffered = (s: CustomerState, i: number, id: string, source: number, sourceString: string): number => {
  const bt = s.b[bufferBase(s) + i * BUF_STRIDE + B_T]!
  const t = arrival[B_T]!
  if (bt !== t) return bt < t ? -1 : 1
  return compareIdentity(s, i, id, source, sourceString)
}

/** Compares the identity (id, source) of buffered event `i` with the arriving one's (`arrival`). */
const compareIdentity = (s: CustomerState, i: number, id: string, source: number, sourceString: string): number => {
  const b = s.b
  const at = bufferBase(s) + i * BUF_STRIDE
  const k0 = b[at + B_K0]!
  const ak0 = arrival[B_K0]!
  if (k0 >= 0 && ak0 >= 0) {
    // Packed ids compare as their strings do.
    if (k0 !== ak0) return k0 < ak0 ? -1 : 1
    const k1 = b[at + B_K1]!
    const ak1 = arrival[B_K1]!
    if (k1 !== ak1) return k1 < ak1 ? -1 : 1
    const k2 = b[at + B_K2]!
    const ak2 = arrival[B_K2]!
    if (k2 !== ak2) return k2 < ak2 ? -1 : 1
  } else {
    const bid = bufferedId(s, i)
    if (bid !== id) return bid < id ? -1 : 1
  }
  const bsource = b[at + B_META]! >> SOURCE_SHIFT
  if (bsource === source && source > 0) return 0
  const bsourceString = bufferedSource(s, i)
  if (bsourceString !== sourceString) return bsourceString < sourceString ? -1 : 1
  return 0
}

/**
 * Buffered events by hash, confirmed by their identity (whatever their time);
 * older ones by hash alone. Only for an arrival whose bit is set in `seen`.
 */
const isDuplicate = (s: CustomerState, id: string, source: number, sourceString: string): boolean => {
  const b = s.b
  const hash = arrival[B_HASH]!
  const base = bufferBase(s)
  const end = base + s.bc * BUF_STRIDE
  for (let at = base + B_HASH, i = 0; at < end; at += BUF_STRIDE, i++) {
    if (b[at] === hash && compareIdentity(s, i, id, source, sourceString) === 0) return true
  }
  // The remembered pairs in two runs (the ring wraps at most once); their order does not matter here.
  const first = s.ss
  const wrapped = first + s.sc - s.rc
  const firstEnd = RING + 2 * (wrapped > 0 ? s.rc : first + s.sc)
  for (let at = RING + 2 * first + 1; at < firstEnd; at += 2) if (b[at] === hash) return true
  if (wrapped > 0) {
    const secondEnd = RING + 2 * wrapped
    for (let at = RING + 1; at < secondEnd; at += 2) if (b[at] === hash) return true
  }
  return false
}

/** Buffer and dedup ring keep room for at most this many more entries (memory against re-allocation). */
const SLACK = 2

/**
 * Moves the used ring to the front of a larger one of `pairs` pairs (the
 * buffer moves along).
 */
const growRing = (s: CustomerState, start: number, count: number, pairs: number): void => {
  const b = s.b
  const oldBase = bufferBase(s)
  const newBase = RING + 2 * pairs
  const bufferLength = b.length - oldBase
  const out = acquire(newBase + bufferLength)
  out[0] = b[0]!
  for (let i = 0; i < count; i++) {
    const from = RING + ((start + i) % s.rc) * 2
    out[RING + i * 2] = b[from]!
    out[RING + i * 2 + 1] = b[from + 1]!
  }
  for (let i = RING + count * 2; i < newBase; i++) out[i] = 0
  for (let i = 0; i < bufferLength; i++) out[newBase + i] = b[oldBase + i]!
  s.b = out
  s.rc = pairs
  release(b)
}

/**
 * Remembers an event that is not (or no longer) in the buffer, as a (t, hash)
 * pair in the ring: `sc` pairs from pair `ss` on, wrapping around. Pairs older
 * than the dedup horizon leave from the front (events leave the buffer in
 * time order, so the front is the oldest but for the rare event that came
 * beyond the horizon), and so does the oldest beyond `dedupCap`. The ring
 * only grows (by half, at least `SLACK` pairs, up to `dedupCap`: each growth
 * copies the buffer along); a restored state is exact-size.
 */
const remember = (s: CustomerState, src: ReadonlyArray<number>, at: number, p: Params): void => {
  const cap = p.dedupCap
  if (cap === 0) return
  // Read before the ring may grow (and `src` be replaced when it is the state's array).
  const t = src[at + B_T]!
  const hash = src[at + B_HASH]!
  const horizon = s.n[T_REF]! - p.dedupHorizonHours * HOUR_MS
  if (t < horizon) return
  let b = s.b
  let pairs = s.rc
  let start = s.ss
  let count = s.sc
  while (count > 0 && b[RING + start * 2]! < horizon) {
    start = start + 1 === pairs ? 0 : start + 1
    count--
  }
  if (count >= cap) {
    const out = count - cap + 1
    start = (start + out) % pairs
    count -= out
  }
  if (count === pairs) {
    growRing(s, start, count, Math.min(cap, pairs + (pairs >> 1 > SLACK ? pairs >> 1 : SLACK)))
    b = s.b
    pairs = s.rc
    start = 0
  }
  let slot = start + count
  if (slot >= pairs) slot -= pairs
  b[RING + slot * 2] = t
  b[RING + slot * 2 + 1] = hash
  s.seen |= dedupBit(hash)
  s.ss = start
  s.sc = count + 1
}

/**
 * Every buffered event leaves the buffer (a session's first event: it is
 * newer than all of them by more than the allowed lateness), and the
 * arriving event will be the only one buffered. The leaving events are
 * remembered exactly as `remember` would, one after the other, and the
 * state's array is laid out afresh in one pass: the greatest evicted time,
 * the remembered pairs in order with `SLACK` spare pairs, and a buffer with
 * room for the arriving event and `SLACK` more. This replaces a `remember`
 * per event (each of which may grow the ring, moving the buffer along) and
 * a reshaped buffer by one array written once, and keeps the ring no larger
 * than what it holds. Like `reshapeBuffer`, it leaves one slot open for the
 * arriving event, slot 0, which the caller writes.
 *
 * What `remember` would do one event at a time is worked out on positions
 * first: the ring's pairs followed by the leaving events the dedup horizon
 * keeps (the buffer is in time order, so those are its last ones) form one
 * sequence, of which the remembered pairs end up being the part from
 * `first` on.
 */
const evictAll = (s: CustomerState, p: Params): void => {
  const b = s.b
  const count = s.bc
  const base = bufferBase(s)
  const lastT = b[base + (count - 1) * BUF_STRIDE + B_T]!
  const evictedT = lastT > b[0]! ? lastT : b[0]!
  const held = s.sc
  const ringStart = s.ss
  const ringSize = s.rc
  const cap = p.dedupCap
  let kept = count
  let first = 0
  let end = held
  if (cap > 0) {
    const horizon = s.n[T_REF]! - p.dedupHorizonHours * HOUR_MS
    kept = 0
    while (kept < count && b[base + kept * BUF_STRIDE + B_T]! < horizon) kept++
    for (let j = kept; j < count; j++) {
      // The front leaves while it is older than the horizon (a leaving event never is), then the oldest beyond the cap.
      while (first < held && first < end) {
        let at = ringStart + first
        if (at >= ringSize) at -= ringSize
        if (b[RING + at * 2]! >= horizon) break
        first++
      }
      if (end - first >= cap) first = end - cap + 1
      end++
    }
  }
  const pairs = end - first
  const spare = Math.min(cap, pairs + SLACK)
  const ring = spare > pairs ? spare : pairs
  const out = acquire(RING + 2 * ring + (1 + SLACK) * BUF_STRIDE)
  out[0] = evictedT
  // The filter afresh: bits of hashes that left stay set only until here.
  let seen = 0
  for (let i = first, to = RING; i < end; i++, to += 2) {
    if (i < held) {
      let at = ringStart + i
      if (at >= ringSize) at -= ringSize
      out[to] = b[RING + at * 2]!
      out[to + 1] = b[RING + at * 2 + 1]!
    } else {
      const at = base + (kept + i - held) * BUF_STRIDE
      out[to] = b[at + B_T]!
      out[to + 1] = b[at + B_HASH]!
    }
    seen |= dedupBit(out[to + 1]!)
  }
  s.seen = seen
  // Spare pairs and buffer slots are not read before they are written: a recycled array's old numbers may stay.
  s.b = out
  release(b)
  s.rc = ring
  s.ss = 0
  s.sc = pairs
  s.bc = 1
  s.bs = null
}

/** Folds the first `k` buffered events into the evicted fold (the caller drops them from the buffer). */
const evictHead = (s: CustomerState, k: number, p: Params): void => {
  if (k === 0) return
  const evicted = openEvicted(s)
  for (let i = 0; i < k; i++) {
    // Read afresh each time: remembering may move the buffer.
    const b = s.b
    const at = bufferBase(s) + i * BUF_STRIDE
    stepInOrder(evicted, b, at, p)
    if (b[at + B_T]! > b[0]!) b[0] = b[at + B_T]!
    remember(s, b, at, p)
  }
  closeEvicted(s)
}

/**
 * Copies the current fold into the evicted one: in place when it has the
 * room and at most one open issue's more (the usual case: the two folds have
 * the same dimensions, and their open issues differ by one at most), else
 * exact-size.
 */
const evictedBecomesCurrent = (s: CustomerState): void => {
  const n = s.n
  const used = usedNumbers(n)
  const en = s.en
  if (en !== null && en.length >= used && en.length <= used + OPEN_STRIDE) {
    for (let i = 0; i < used; i++) en[i] = n[i]!
    for (let i = used; i < en.length; i++) en[i] = 0
  } else {
    const out = acquire(used)
    for (let i = 0; i < used; i++) out[i] = n[i]!
    s.en = out
    if (en !== null) release(en)
  }
}

/** Whether any of the buffered events keeps its id or source as a string. */
const holdsStrings = (s: CustomerState): boolean => {
  const b = s.b
  const base = bufferBase(s)
  for (let i = 0; i < s.bc; i++) {
    const at = base + i * BUF_STRIDE
    if (b[at + B_K0]! < 0 || b[at + B_META]! >> SOURCE_SHIFT === 0) return true
  }
  return false
}

/**
 * Whether `b` holds a buffer of `count` events in place: room for them, and
 * for at most `SLACK` more. An event appended in place (the usual case
 * inside a session) moves nothing.
 */
const fitsInPlace = (s: CustomerState, count: number): boolean => {
  const room = s.b.length - bufferBase(s)
  return room >= count * BUF_STRIDE && room <= (count + SLACK) * BUF_STRIDE
}

/**
 * Drops the first `drop` buffered events and opens a slot at `index` (an
 * index into the result): in place while `b` has room and at most `SLACK`
 * slots more, otherwise into a new array with exactly `SLACK` slots more
 * (V8's push and splice would leave up to 50% slack).
 */
const reshapeBuffer = (s: CustomerState, drop: number, index: number): void => {
  const keep = s.bc - drop
  const count = keep + 1
  const b = s.b
  const bs = s.bs
  const base = bufferBase(s)
  if (!fitsInPlace(s, count)) {
    // Room for SLACK more either way: events come in sessions, and a buffer
    // emptied at a session's start and cut to its exact size would be
    // re-allocated at the session's second event.
    const size = count + SLACK
    const out = acquire(base + size * BUF_STRIDE)
    for (let i = 0; i < base; i++) out[i] = b[i]!
    for (let i = base + count * BUF_STRIDE; i < out.length; i++) out[i] = 0
    const outS = bs === null ? null : strings(size * 2)
    for (let i = 0; i < keep; i++) {
      const to = i < index ? i : i + 1
      const from = base + (i + drop) * BUF_STRIDE
      const into = base + to * BUF_STRIDE
      for (let j = 0; j < BUF_STRIDE; j++) out[into + j] = b[from + j]!
      if (outS !== null) {
        outS[to * 2] = bs![(i + drop) * 2]!
        outS[to * 2 + 1] = bs![(i + drop) * 2 + 1]!
      }
    }
    s.b = out
    s.bs = outS
    s.bc = count
    release(b)
  } else {
    if (drop > 0) {
      const from = base + drop * BUF_STRIDE
      const end = base + s.bc * BUF_STRIDE
      for (let i = from; i < end; i++) b[i - drop * BUF_STRIDE] = b[i]!
      if (bs !== null) for (let i = drop * 2; i < s.bc * 2; i++) bs[i - drop * 2] = bs[i]!
    }
    for (let i = base + keep * BUF_STRIDE - 1; i >= base + index * BUF_STRIDE; i--) b[i + BUF_STRIDE] = b[i]!
    if (bs !== null) {
      for (let i = keep * 2 - 1; i >= index * 2; i--) bs[i + 2] = bs[i]!
      // Vacated slots must not keep old strings alive.
      for (let i = count * 2; i < s.bc * 2; i++) bs[i] = ""
    }
    s.bc = count
  }
  if (s.bs !== null && drop > 0 && !holdsStrings(s)) s.bs = null
}

/** Writes the arriving event (`arrival`, whose hash has `bit` in the dedup filter) into buffer slot `index`. */
const writeBuffered = (
  s: CustomerState,
  index: number,
  bit: number,
  id: string,
  source: number,
  sourceString: string
): void => {
  const b = s.b
  const at = bufferBase(s) + index * BUF_STRIDE
  for (let j = 0; j < BUF_STRIDE; j++) b[at + j] = arrival[j]!
  s.seen |= bit
  if (arrival[B_K0]! < 0 || source === 0 || s.bs !== null) writeBufferedStrings(s, index, id, source, sourceString)
}

/** The id and source strings of buffer slot `index`, for an event whose identity is not all numbers (or beside one). */
const writeBufferedStrings = (
  s: CustomerState,
  index: number,
  id: string,
  source: number,
  sourceString: string
): void => {
  const k0 = arrival[B_K0]!
  if (k0 < 0 || source === 0) {
    if (s.bs === null) s.bs = strings(((s.b.length - bufferBase(s)) / BUF_STRIDE) * 2)
    s.bs[index * 2] = k0 < 0 ? id : ""
    s.bs[index * 2 + 1] = source === 0 ? sourceString : ""
  } else if (s.bs !== null) {
    s.bs[index * 2] = ""
    s.bs[index * 2 + 1] = ""
  }
}

/** Rebuilds the fold from the evicted one and the whole buffer; reports the step of buffer index `watch`. */
const refold = (s: CustomerState, watch: number, p: Params, out: MutableApplyOutcome, seq: number): void => {
  const fresh: Fold = s.en === null ? initialFold() : { n: copyOf(s.en) }
  const b = s.b
  const base = bufferBase(s)
  for (let i = 0; i < s.bc; i++) {
    stepInOrder(fresh, b, base + i * BUF_STRIDE, p)
    if (i === watch) {
      report(out, seq, false, true, lastStep.v, lastStep.branch, lastStep.orphan, lastStep.repeatedOpening)
    }
  }
  release(s.n)
  s.n = fresh.n
}

/**
 * An event beyond the horizon: exact in the commutative sums and peaks (of
 * the current and the evicted fold alike), nothing order-dependent moves,
 * counted as late. Reads the packed event.
 */
const applyLate = (s: CustomerState, out: MutableApplyOutcome, seq: number, p: Params): void => {
  s.late++
  const v = lateImpression(s, arrival, 0, p)
  if (!Number.isNaN(v)) {
    addSumsOnly(s, arrival, 0, v, p)
    addSumsOnly(openEvicted(s), arrival, 0, v, p)
    closeEvicted(s)
  }
  remember(s, arrival, 0, p)
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
  const sourceString = event.source
  const source = sourceIndexOf(sourceString)
  readKey(source, sourceString, id)
  arrival[B_T] = t
  arrival[B_HASH] = key.hash
  const k0 = key.k0
  arrival[B_K0] = k0
  arrival[B_K1] = k0 >= 0 ? key.k1 : 0
  arrival[B_K2] = k0 >= 0 ? key.k2 : 0
  const bit = dedupBit(key.hash)
  if ((s.seen & bit) !== 0 && isDuplicate(s, id, source, sourceString)) {
    s.duplicates++
    out.seq = seq
    out.applied = false
    out.duplicate = true
    out.late = false
    out.reordered = false
    out.orphanResolution = false
    out.repeatedOpening = false
    out.impression = Number.NaN
    out.recovery = undefined
    return
  }
  s.events++
  pack(event)
  arrival[B_META] = arrival[B_META]! | (source << SOURCE_SHIFT)
  const count = s.bc
  const tRef = s.n[T_REF]!
  const lateness = p.allowedLatenessHours * HOUR_MS

  if (count === 0 || compareWithBuffered(s, count - 1, id, source, sourceString) < 0) {
    // In canonical order, the usual case. Which buffered events does it push out?
    const oldest = (t > tRef ? t : tRef) - lateness
    const b = s.b
    const base = bufferBase(s)
    let drop = 0
    while (drop < count && (b[base + drop * BUF_STRIDE]! < oldest || count - drop + 1 > p.bufferCap)) drop++
    // All of them: the evicted fold becomes the current one, copied rather than re-stepped.
    const all = drop === count && count > 0
    if (all) evictedBecomesCurrent(s)
    stepInOrder(s, arrival, 0, p)
    // Read the step before the evicted fold is stepped.
    report(out, seq, false, false, lastStep.v, lastStep.branch, lastStep.orphan, lastStep.repeatedOpening)
    if (all) evictAll(s, p)
    else if (drop === 0 && fitsInPlace(s, count + 1)) s.bc = count + 1
    else {
      if (drop > 0) evictHead(s, drop, p)
      reshapeBuffer(s, drop, count - drop)
    }
    writeBuffered(s, count - drop, bit, id, source, sourceString)
    return
  }

  // Out of order. Beyond the horizon when older than the allowed lateness, or not after
  // everything that already left the buffer (an equal time is taken as not after).
  if (t < tRef - lateness || t <= s.b[0]!) {
    applyLate(s, out, seq, p)
    return
  }
  // Inside the horizon: its place (usually near the end).
  let index = count - 1
  while (index > 0 && compareWithBuffered(s, index - 1, id, source, sourceString) > 0) index--
  const drop = count + 1 > p.bufferCap ? count + 1 - p.bufferCap : 0
  // A full buffer pushes its oldest events out; if this one would be among them, it is beyond the horizon.
  if (index < drop) {
    applyLate(s, out, seq, p)
    return
  }
  evictHead(s, drop, p)
  reshapeBuffer(s, drop, index - drop)
  writeBuffered(s, index - drop, bit, id, source, sourceString)
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
