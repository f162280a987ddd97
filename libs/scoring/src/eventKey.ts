import { hashIdFrom, sourceLanes } from "./dedupHash.ts"

/**
 * An event's identity (`source`, `id`) as the state keeps it for the events
 * in its lateness buffer: numbers rather than strings wherever possible.
 *
 * - A source is an index into a table of the sources this process has seen
 *   (sources are a handful of services; the index and the source's hash
 *   lanes are looked up once per event). Index 0: the table is full (a
 *   flood of distinct sources), the state keeps the string.
 * - An id that is a lowercase canonical UUID (`8-4-4-4-12` hex digits, what
 *   the CloudEvents SDKs generate) is kept as three integers of 48 bits: its
 *   36 characters read as 4-bit values, a dash as 0. A string of 36
 *   characters costs 56 bytes of heap and a pointer, and a buffered string
 *   that outlives a young-generation GC is copied by it; three numbers in
 *   the state's double array cost 24 bytes and nothing to the GC. The dashes
 *   sit at the same places in every UUID, so two packed ids compare as their
 *   strings do (word by word). Any other id is kept as its string.
 *
 * `readKey` reads an arriving id once for both its dedup hash (the one of
 * `hashId`, bit for bit: remembered hashes, serialized ones included, stay
 * valid) and its packed form.
 */

const SOURCE_LIMIT = 65_536
const sourceNames: Array<string> = [""]
const sourceH1: Array<number> = [0]
const sourceH2: Array<number> = [0]
const sourceIndex = new Map<string, number>()
/**
 * The last source seen of each length (mod 32) and its index: a decoder's
 * strings are fresh and, beyond ten characters, not internalized, so the map
 * would hash every one of them; a handful of sources mostly differ in
 * length, and comparing with the one cached for that length is cheaper.
 */
const CACHE = 32
const cachedNames: Array<string> = new Array<string>(CACHE).fill("")
const cachedIndexes: Array<number> = new Array<number>(CACHE).fill(0)

/** The index of a source (≥ 1), or 0 when the table is full and the caller must keep the string. */
export const sourceIndexOf = (source: string): number => {
  const slot = source.length & (CACHE - 1)
  return source === cachedNames[slot] && source.length > 0 ? cachedIndexes[slot]! : lookUpSource(source, slot)
}

/** `sourceIndexOf` past its cache by length: kept apart so that the check stays small enough for V8 to inline. */
const lookUpSource = (source: string, slot: number): number => {
  let index = sourceIndex.get(source)
  if (index === undefined) {
    if (sourceNames.length > SOURCE_LIMIT) return 0
    index = sourceNames.length
    const lanes = sourceLanes(source)
    sourceNames.push(source)
    sourceH1.push(lanes.h1)
    sourceH2.push(lanes.h2)
    sourceIndex.set(source, index)
  }
  cachedNames[slot] = sourceNames[index]!
  cachedIndexes[slot] = index
  return index
}

/** The source of index ≥ 1 (one shared string instance). */
export const sourceName = (index: number): string => sourceNames[index]!

/** Where `readKey` and `packId` leave their results (module-level: no allocation per event). */
export const key = {
  /** The 53-bit dedup hash of (source, id). */
  hash: 0,
  /** The packed id (k0 < 0: not a lowercase UUID, kept as a string). */
  k0: -1,
  k1: 0,
  k2: 0
}

const TWO_16 = 65_536
const TWO_32 = 4_294_967_296

/**
 * The nibbles of two characters at once, one in each 16-bit half of `x`
 * (the pairs `hashId` mixes): the low four bits, plus 9 for a letter
 * (bit 6 set), kept to four bits. Right for lowercase hex digits only;
 * `notHexPair` tells whether they were.
 */
const nibblePair = (x: number): number => ((x & 0x000f000f) + 9 * ((x >> 6) & 0x00010001)) & 0x000f000f

/**
 * 0 when both halves of `x` are lowercase hex digits (`nibbles` being
 * `nibblePair(x)`): the digit each half's nibble stands for ('0' + n, or
 * 'a' − 10 + n from 10 on) is that half again. Any other code unit, a
 * non-ASCII one included, differs from the digit of its nibble.
 */
const notHexPair = (x: number, nibbles: number): number =>
  (nibbles + 0x00300030 + 39 * (((nibbles + 0x00060006) >> 4) & 0x00010001)) ^ x

/** '-' xor '0': turns a dash where a UUID has one into the digit 0 (that it is a dash is checked apart). */
const DASH = 45 ^ 48

/**
 * Sets `key.hash` to `hashId` of (source, id) and `key.k0..k2` to the packed
 * id (k0 = −1 when it is not a lowercase UUID), reading the id once.
 * `source` is the index of `sourceIndexOf`, or 0 with the source's string.
 */
export const readKey = (source: number, sourceString: string, id: string): void => {
  let h1: number
  let h2: number
  if (source > 0) {
    h1 = sourceH1[source]!
    h2 = sourceH2[source]!
  } else {
    const lanes = sourceLanes(sourceString)
    h1 = lanes.h1
    h2 = lanes.h2
  }
  if (id.length !== 36) {
    key.hash = hashIdFrom(h1, h2, id)
    key.k0 = -1
    return
  }
  // hashId's loop for 36 code units (nine whole steps, no tail), and the nibbles of the same pairs beside it.
  h1 ^= 36
  h2 ^= 36
  let bad = 0
  let w0 = 0
  let w1 = 0
  let w2 = 0
  for (let i = 0; i < 36; i += 4) {
    const ab = (id.charCodeAt(i) << 16) | id.charCodeAt(i + 1)
    const cd = (id.charCodeAt(i + 2) << 16) | id.charCodeAt(i + 3)
    h1 = Math.imul(h1 ^ ab, 2654435761)
    h2 = Math.imul(h2 ^ cd, 1597334677)
    // A UUID's dashes are its characters 8, 13, 18 and 23: each must be one, and reads as the digit 0.
    const dash = i === 8 ? ab >>> 16 : i === 12 ? ab & 0xffff : i === 16 ? cd >>> 16 : i === 20 ? cd & 0xffff : 45
    const digitsAb = ab ^ (i === 8 ? DASH << 16 : i === 12 ? DASH : 0)
    const digitsCd = cd ^ (i === 16 ? DASH << 16 : i === 20 ? DASH : 0)
    const nAb = nibblePair(digitsAb)
    const nCd = nibblePair(digitsCd)
    bad |= (dash ^ 45) | notHexPair(digitsAb, nAb) | notHexPair(digitsCd, nCd)
    const group = ((nAb >> 16) << 12) | ((nAb & 15) << 8) | ((nCd >> 16) << 4) | (nCd & 15)
    if (i < 12) w0 = w0 * TWO_16 + group
    else if (i < 24) w1 = w1 * TWO_16 + group
    else w2 = w2 * TWO_16 + group
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507)
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507)
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  key.hash = 4294967296 * (2097151 & h2) + (h1 >>> 0)
  if (bad === 0) {
    key.k0 = w0
    key.k1 = w1
    key.k2 = w2
  } else {
    key.k0 = -1
  }
}

/**
 * Sets `key.k0..k2` to the packed form of `id` (k0 = −1: keep the string).
 * For restored states, which have no use for the hash `readKey` also
 * leaves (of the id under the empty source).
 */
export const packId = (id: string): void => readKey(0, "", id)

const HEX = "0123456789abcdef"

/** The ASCII bytes of a packed id, written into `into` from `at` (36 bytes; for the codec). */
export const writePackedId = (into: Uint8Array, at: number, k0: number, k1: number, k2: number): void => {
  const words = [k0, k1, k2]
  for (let w = 0; w < 3; w++) {
    const word = words[w]!
    const high = Math.floor(word / TWO_32)
    const low = word - high * TWO_32
    for (let i = 0; i < 12; i++) {
      const position = w * 12 + i
      const nibble = i < 4 ? (high >>> (12 - 4 * i)) & 15 : Math.floor(low / 2 ** (44 - 4 * i)) & 15
      into[at + position] =
        position === 8 || position === 13 || position === 18 || position === 23 ? 45 : HEX.charCodeAt(nibble)
    }
  }
}

const idScratch = new Uint8Array(36)

/** The id a packed key stands for. */
export const unpackId = (k0: number, k1: number, k2: number): string => {
  writePackedId(idScratch, 0, k0, k1, k2)
  return String.fromCharCode(...idScratch)
}
