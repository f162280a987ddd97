/**
 * Double arrays for the state: created unboxed, and recycled by length.
 *
 * A state's arrays are replaced as it changes shape: a lateness buffer
 * shrinks at a session's start and grows as the session goes on, a fold
 * widens for an issue or a dimension. Across many customers they come in
 * the same few lengths, so an array a state let go of is kept for the next
 * state that needs one that long. Taking a spare instead of a new array
 * keeps the fold from allocating, and so the young-generation GC from
 * copying whatever else is alive (a decoder's batch) at every collection
 * the fold would otherwise trigger.
 */

let zeros: Array<number> = [0.5]
zeros[0] = 0

/**
 * A new array of `size` zeros, unboxed doubles: a slice of a double array is
 * one, where `new Array(size)` starts as small integers and is converted
 * (copied) at the first fractional store.
 */
export const doubles = (size: number): Array<number> => {
  while (zeros.length < size) zeros = zeros.concat(zeros)
  return zeros.slice(0, size)
}

/** Lengths kept, and spares kept per length. */
const SPARE_LENGTHS = 512
const SPARE_DEPTH = 4
/**
 * The spares of length L sit in slots L·SPARE_DEPTH onwards, `spareCount[L]`
 * of them: one flat array and a count rather than an array per length,
 * whose push and pop are builtin calls. The fold releases and acquires an
 * array at every session's first event; in an interleaved A/B the calls
 * cost about 3 % of its time.
 */
const EMPTY: Array<number> = []
const spareSlots: Array<Array<number>> = []
for (let i = 0; i < SPARE_LENGTHS * SPARE_DEPTH; i++) spareSlots.push(EMPTY)
const spareCount = new Int32Array(SPARE_LENGTHS)

/** An array no state refers to any more. */
export const release = (a: Array<number>): void => {
  const length = a.length
  if (length < SPARE_LENGTHS) {
    const count = spareCount[length]!
    if (count < SPARE_DEPTH) {
      spareSlots[length * SPARE_DEPTH + count] = a
      spareCount[length] = count + 1
    }
  }
}

/** A double array of `size` (zeros when new; a spare holds old numbers the caller overwrites). */
export const acquire = (size: number): Array<number> => {
  if (size < SPARE_LENGTHS) {
    const count = spareCount[size]!
    if (count > 0) {
      const slot = size * SPARE_DEPTH + count - 1
      const a = spareSlots[slot]!
      // The pool lets go of it: a state that is dropped later takes its arrays along.
      spareSlots[slot] = EMPTY
      spareCount[size] = count - 1
      return a
    }
  }
  return doubles(size)
}

let blanks: Array<string> = [""]

/** A new array of `size` empty strings, in one elements kind from the start. */
export const strings = (size: number): Array<string> => {
  while (blanks.length < size) blanks = blanks.concat(blanks)
  return blanks.slice(0, size)
}

/** A copy of `a`, as long as it, in a recycled array when one is spare. */
export const copyOf = (a: ReadonlyArray<number>): Array<number> => {
  const out = acquire(a.length)
  for (let i = 0; i < a.length; i++) out[i] = a[i]!
  return out
}
