/**
 * A 53-bit hash of an event's dedup identity (`source`, `id`), for the ids a
 * state remembers beyond its lateness buffer (events in the buffer are
 * confirmed by comparing the strings). 53 bits, because a double holds them
 * exactly and the state keeps its numbers in double arrays.
 *
 * Collision odds: a new event is wrongly taken for a duplicate only if its
 * hash equals one of the at most `dedupCap` remembered hashes of the same
 * customer: p ≤ dedupCap / 2^53 ≈ 7.1e-15 per event for the default cap of
 * 64, about one wrongly dropped event in 1.4e14.
 *
 * Two 32-bit multiply-xorshift lanes with cyrb53's constants and final mix,
 * assumed to behave like a random function for the odds above. The source's
 * lanes are computed once per distinct source (sources are few; see
 * `sourceLanes`) and seed the lanes over the id.
 */
export interface SourceLanes {
  readonly h1: number
  readonly h2: number
}

export const sourceLanes = (source: string): SourceLanes => {
  let h1 = 0xdeadbeef ^ source.length
  let h2 = 0x41c6ce57 ^ source.length
  for (let i = 0; i < source.length; i++) {
    const ch = source.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  // A separator no code unit can fake: the id's lanes start from here.
  h1 = Math.imul(h1 ^ 0x10000, 2654435761)
  h2 = Math.imul(h2 ^ 0x10000, 1597334677)
  return { h1, h2 }
}

export const hashId = (lanes: SourceLanes, id: string): number => hashIdFrom(lanes.h1, lanes.h2, id)

const scratch = [0.5]

/** `hashId` from the source's lanes as numbers. */
export const hashIdFrom = (sourceH1: number, sourceH2: number, id: string): number => {
  hashIdInto(sourceH1, sourceH2, id, scratch, 0)
  return scratch[0]!
}

/**
 * `hashIdFrom`, written into `into[at]`: the hash is a double, and a double
 * returned from a function V8 does not inline is boxed (a heap allocation
 * per call), where one stored into a double array is not.
 */
export const hashIdInto = (sourceH1: number, sourceH2: number, id: string, into: Array<number>, at: number): void => {
  let h1 = sourceH1 ^ id.length
  let h2 = sourceH2 ^ id.length
  // Four UTF-16 code units per step: two 32-bit words, one into each lane.
  // Each step is a bijection of its lane, so two ids that differ in one word
  // always differ in that lane, and the final mix keeps both lanes (the
  // length went into the seeds, so the zero padding of a tail cannot collide).
  const length = id.length
  const whole = length & ~3
  let i = 0
  for (; i < whole; i += 4) {
    h1 = Math.imul(h1 ^ ((id.charCodeAt(i) << 16) | id.charCodeAt(i + 1)), 2654435761)
    h2 = Math.imul(h2 ^ ((id.charCodeAt(i + 2) << 16) | id.charCodeAt(i + 3)), 1597334677)
  }
  if (i < length) {
    const a = id.charCodeAt(i)
    const b = i + 1 < length ? id.charCodeAt(i + 1) : 0
    const c = i + 2 < length ? id.charCodeAt(i + 2) : 0
    h1 = Math.imul(h1 ^ ((a << 16) | b), 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507)
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507)
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  into[at] = 4294967296 * (2097151 & h2) + (h1 >>> 0)
}

export const dedupHash = (source: string, id: string): number => hashId(sourceLanes(source), id)

const dimensionLanes = sourceLanes("\u0000dimension")
const issueLanes = sourceLanes("\u0000issue")

/** The label of a dimension in a fold: a 53-bit hash of its name. */
export const dimensionHash = (name: string): number => hashId(dimensionLanes, name)

/** The label of an issue in a fold: a 53-bit hash of its id. */
export const issueHash = (issueId: string): number => hashId(issueLanes, issueId)

/** `issueHash`, written into `into[at]` (see `hashIdInto`). */
export const issueHashInto = (issueId: string, into: Array<number>, at: number): void =>
  hashIdInto(issueLanes.h1, issueLanes.h2, issueId, into, at)
