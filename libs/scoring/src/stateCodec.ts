import {
  assembleState,
  B_HASH,
  B_K0,
  B_K1,
  B_K2,
  B_LABEL,
  B_META,
  B_T,
  B_X,
  B_Y,
  BUF_STRIDE,
  bufferBase,
  bufferedSource,
  type CustomerState,
  foldMeta,
  rememberedPairs
} from "./customerState.ts"
import { writePackedId } from "./eventKey.ts"
import { DIM_STRIDE, FIXED, type Fold, N_DIMS, N_OPEN, OPEN_STRIDE, usedNumbers } from "./fold.ts"

/**
 * The binary form of a customer state: the value of its changelog record.
 * Compact (a typical customer takes a few hundred bytes) and exact: every
 * number comes back with the same bits, so a restored state continues
 * bit-identically.
 *
 * Layout, version 1 (varuint = LEB128, string = varuint byte length + UTF-8):
 *   u8 version (1) · u8 flags (bit 0: the evicted fold is present)
 *   varuint seq, events, late, duplicates, reordered · number evictedT
 *   fold now · [fold evicted]
 *   varuint buffer numbers length · numbers · varuint buffer strings length · strings
 *   varuint seen length · numbers
 * fold: varuint numbers length · numbers (the used part)
 * number: a tag byte, 0 → +0, 1 → a safe integer but −0 (zigzag varuint), 2 → float64 LE (NaN, −0 and
 * every other double keep their bits).
 */
export const STATE_CODEC_VERSION = 1

export class StateCodecError extends Error {
  override readonly name = "StateCodecError"
}

let bytes = new Uint8Array(4096)
let view = new DataView(bytes.buffer)
let pos = 0
const encoder = new TextEncoder()

const ensure = (extra: number) => {
  if (pos + extra <= bytes.length) return
  const next = new Uint8Array(Math.max(bytes.length * 2, pos + extra))
  next.set(bytes.subarray(0, pos))
  bytes = next
  view = new DataView(bytes.buffer)
}

const writeByte = (b: number) => {
  ensure(1)
  bytes[pos++] = b
}

/** Unsigned integers up to 2^53 (uses division, not 32-bit shifts). */
const writeVarUint = (value: number) => {
  ensure(8)
  let v = value
  while (v >= 0x80) {
    bytes[pos++] = (v % 0x80) | 0x80
    v = Math.floor(v / 0x80)
  }
  bytes[pos++] = v
}

const writeNumber = (value: number) => {
  if (Object.is(value, 0)) {
    writeByte(0)
  } else if (Number.isSafeInteger(value) && !Object.is(value, -0)) {
    writeByte(1)
    writeVarUint(value < 0 ? -value * 2 - 1 : value * 2)
  } else {
    ensure(9)
    bytes[pos++] = 2
    view.setFloat64(pos, value, true)
    pos += 8
  }
}

const writeString = (value: string) => {
  ensure(value.length * 3 + 8)
  // Reserve the length after encoding: one byte covers strings up to 127 bytes, the usual case.
  const start = pos
  pos += 1
  const { written } = encoder.encodeInto(value, bytes.subarray(pos))
  if (written < 0x80) {
    bytes[start] = written
    pos += written
    return
  }
  const encoded = bytes.slice(pos, pos + written)
  pos = start
  writeVarUint(written)
  ensure(written)
  bytes.set(encoded, pos)
  pos += written
}

const writeNumbers = (values: ReadonlyArray<number>) => {
  writeVarUint(values.length)
  for (let i = 0; i < values.length; i++) writeNumber(values[i]!)
}

/** Per buffered event (t, meta, x, y, hash, label), then its (id, source): the layout of version 1. */
const writeBuffer = (s: CustomerState) => {
  const b = s.b
  const base = bufferBase(s)
  writeVarUint(s.bc * 6)
  for (let i = 0; i < s.bc; i++) {
    const at = base + i * BUF_STRIDE
    writeNumber(b[at + B_T]!)
    writeNumber(foldMeta(b[at + B_META]!))
    writeNumber(b[at + B_X]!)
    writeNumber(b[at + B_Y]!)
    writeNumber(b[at + B_HASH]!)
    writeNumber(b[at + B_LABEL]!)
  }
  writeVarUint(s.bc * 2)
  for (let i = 0; i < s.bc; i++) {
    const at = base + i * BUF_STRIDE
    const k0 = b[at + B_K0]!
    if (k0 >= 0) {
      // A packed id: its 36 ASCII characters, written without making the string.
      ensure(37)
      bytes[pos++] = 36
      writePackedId(bytes, pos, k0, b[at + B_K1]!, b[at + B_K2]!)
      pos += 36
    } else {
      writeString(s.bs![i * 2]!)
    }
    writeString(bufferedSource(s, i))
  }
}

/** The used part only: a fold may keep spare room for an open issue. */
const writeFold = (fold: Fold) => {
  const used = usedNumbers(fold.n)
  writeVarUint(used)
  for (let i = 0; i < used; i++) writeNumber(fold.n[i]!)
}

export const serializeState = (s: CustomerState): Uint8Array => {
  pos = 0
  writeByte(STATE_CODEC_VERSION)
  writeByte(s.en === null ? 0 : 1)
  writeVarUint(s.seq)
  writeVarUint(s.events)
  writeVarUint(s.late)
  writeVarUint(s.duplicates)
  writeVarUint(s.reordered)
  writeNumber(s.evictedT)
  writeFold(s)
  if (s.en !== null) writeFold({ n: s.en })
  writeBuffer(s)
  writeNumbers(rememberedPairs(s))
  return bytes.slice(0, pos)
}

// Reading: one input at a time, like writing.
let input: Uint8Array = new Uint8Array(0)
let inputView: DataView = new DataView(input.buffer)
let at = 0
const decoder = new TextDecoder("utf-8", { fatal: true })

const fail = (what: string): never => {
  throw new StateCodecError(`invalid customer state at byte ${at}: ${what}`)
}

const readByte = (): number => {
  if (at >= input.length) fail("unexpected end")
  return input[at++]!
}

const readVarUint = (): number => {
  let value = 0
  let scale = 1
  for (;;) {
    const b = readByte()
    value += (b & 0x7f) * scale
    if (b < 0x80) return value
    scale *= 0x80
    if (scale > 2 ** 56) fail("varuint too long")
  }
}

const readNumber = (): number => {
  const tag = readByte()
  if (tag === 0) return 0
  if (tag === 1) {
    const z = readVarUint()
    return z % 2 === 1 ? -(z + 1) / 2 : z / 2
  }
  if (tag !== 2) fail(`unknown number tag ${tag}`)
  if (at + 8 > input.length) fail("unexpected end")
  const value = inputView.getFloat64(at, true)
  at += 8
  return value
}

/** Sources and dimension names are shared across customers; see `customerState.ts`. */
const shared = new Map<string, string>()
const SHARED_LIMIT = 65_536

const readString = (share: boolean): string => {
  const length = readVarUint()
  if (at + length > input.length) fail("string runs past the end")
  let value: string
  let ascii = true
  for (let i = at; i < at + length; i++) {
    if (input[i]! >= 0x80) {
      ascii = false
      break
    }
  }
  if (ascii && length <= 64) {
    value = String.fromCharCode.apply(null, input.subarray(at, at + length) as unknown as Array<number>)
  } else {
    try {
      value = decoder.decode(input.subarray(at, at + length))
    } catch {
      return fail("invalid UTF-8")
    }
  }
  at += length
  if (!share) return value
  const known = shared.get(value)
  if (known !== undefined) return known
  if (shared.size < SHARED_LIMIT) shared.set(value, value)
  return value
}

const readNumbers = (): Array<number> => {
  const length = readVarUint()
  if (length > input.length - at) fail("array length past the end")
  const out = new Array<number>(length)
  for (let i = 0; i < length; i++) out[i] = readNumber()
  return out
}

const readFold = (): Fold => {
  const n = readNumbers()
  const dims = n[N_DIMS]
  const open = n[N_OPEN]
  if (
    dims === undefined ||
    open === undefined ||
    !Number.isInteger(dims) ||
    !Number.isInteger(open) ||
    dims < 0 ||
    open < 0 ||
    n.length !== FIXED + dims * DIM_STRIDE + open * OPEN_STRIDE
  ) {
    fail("fold numbers do not match their counts")
  }
  return { n }
}

/** Restores a state written by `serializeState`; throws `StateCodecError` on anything else. */
export const deserializeState = (data: Uint8Array): CustomerState => {
  input = data
  inputView = new DataView(data.buffer, data.byteOffset, data.byteLength)
  at = 0
  const version = readByte()
  if (version !== STATE_CODEC_VERSION) fail(`unknown version ${version}`)
  const flags = readByte()
  const seq = readVarUint()
  const events = readVarUint()
  const late = readVarUint()
  const duplicates = readVarUint()
  const reordered = readVarUint()
  const evictedT = readNumber()
  const now = readFold()
  const evicted = (flags & 1) === 1 ? readFold() : null
  const bufNumbers = readNumbers()
  const count = bufNumbers.length / 6
  if (!Number.isInteger(count)) fail("buffer numbers are not whole events")
  for (let i = 0; i < count; i++) {
    const meta = bufNumbers[i * 6 + 1]!
    if (!Number.isInteger(meta) || meta < 0 || meta > 255) fail("a buffered event's kind is not one the model writes")
  }
  const stringCount = readVarUint()
  if (stringCount !== count * 2) fail("buffer strings do not match its events")
  const bufStrings = new Array<string>(stringCount)
  // id, then source (shared across customers)
  for (let i = 0; i < stringCount; i++) bufStrings[i] = readString(i % 2 === 1)
  const seen = readNumbers()
  if (seen.length % 2 !== 0) fail("dedup memory is not whole pairs")
  if (at !== input.length) fail(`${input.length - at} trailing bytes`)
  input = new Uint8Array(0)
  return assembleState(
    now.n,
    evicted === null ? null : evicted.n,
    evictedT,
    bufNumbers,
    bufStrings,
    seen,
    seq,
    events,
    late,
    duplicates,
    reordered
  )
}
