import { createRequire } from "node:module"

/**
 * Faster pieces for kafkajs 2.2.4's request encoding, the same bytes out.
 *
 * A CPU profile of the scorer (docs/benchmarks.md, figure 3) put about 40 %
 * of its time in kafkajs encoding what it produces, most of it in two
 * places that do more work than the bytes need:
 *
 * - every `Encoder` (one per record, one per header, one per request and
 *   per batch) starts with `Buffer.alloc(512)` and grows with `Buffer.alloc`:
 *   a zero-filled buffer of its own each time, never from Node's pool, where
 *   every byte is then written over before it is read (writes only append
 *   at `offset`, and `buffer` ends there). Here encoders start and grow
 *   with `Buffer.allocUnsafe`: small ones come from the pool, large ones
 *   skip the zero fill.
 * - the CRC-32C of every record batch is computed a byte at a time in
 *   JavaScript. Here it is `@node-rs/crc32`'s native one (also what
 *   `@platformatic/kafka` uses), same polynomial, same result; where no
 *   native build loads, kafkajs' own stays.
 *
 * kafkajs has no hook for either, so this changes kafkajs' own modules in
 * place, once per process: the encoder's growth on its prototype, which
 * every encoder shares, and, in Node's module cache, what the encoder and
 * CRC modules export to the modules that load them afterwards. Those are
 * the record, header and record batch encoders and the produce requests,
 * which kafkajs loads on a client's first produce or fetch, after
 * `kafkaClient.ts` has called this. It applies only to the kafkajs version
 * it was written for, and only if those modules are not loaded yet; in any
 * other case it changes nothing (kafkajs stays correct, only slower) and
 * says why in `kafkajsEncodingStatus`, which the unit test requires to be
 * installed, beside a byte-for-byte comparison of a produce request encoded
 * here and by a kafkajs left as it is.
 */

const FOR_VERSION = "2.2.4"

const MODULES = {
  encoder: "kafkajs/src/protocol/encoder.js",
  crc32C: "kafkajs/src/protocol/recordBatch/crc32C/index.js"
} as const

/** kafkajs' modules that take the encoder class or the CRC function when they are loaded. */
const DEPENDENTS = [
  "kafkajs/src/protocol/recordBatch/record/v0/index.js",
  "kafkajs/src/protocol/recordBatch/header/v0/index.js",
  "kafkajs/src/protocol/recordBatch/v0/index.js",
  "kafkajs/src/protocol/requests/produce/v3/request.js"
] as const

export type KafkajsEncodingStatus =
  | { readonly installed: true; readonly crc32c: "native" | "kafkajs" }
  | { readonly installed: false; readonly reason: string }

interface EncoderClass {
  new (initialSize?: number): EncoderInstance
  nextPowerOfTwo(value: number): number
  prototype: EncoderInstance
}

interface EncoderInstance {
  buf: Buffer
  offset: number
  ensureAvailable(length: number): void
}

const INSTALLED = Symbol.for("xpscore.kafkajs.fastEncoding")

let status: KafkajsEncodingStatus = { installed: false, reason: "installKafkajsEncoding has not run" }

/** Whether the faster encoding is in place in this process, and why not if not. */
export const kafkajsEncodingStatus = (): KafkajsEncodingStatus => status

const nativeCrc32c = (require: NodeJS.Require): ((buffer: Buffer) => number) | undefined => {
  try {
    const { crc32c } = require("@node-rs/crc32") as { crc32c: (input: Buffer) => number }
    return (buffer) => crc32c(buffer)
  } catch {
    return undefined
  }
}

/** Installs the faster encoding (see above) into this process's kafkajs. Idempotent. */
export const installKafkajsEncoding = (): KafkajsEncodingStatus => {
  const require = createRequire(import.meta.url)
  const Encoder = require(MODULES.encoder) as EncoderClass
  const marks = Encoder.prototype as unknown as Record<symbol, unknown>
  if (marks[INSTALLED] !== undefined) return status
  const version = (require("kafkajs/package.json") as { version: string }).version
  if (version !== FOR_VERSION) {
    status = { installed: false, reason: `written for kafkajs ${FOR_VERSION}, found ${version}` }
    return status
  }
  const loaded = DEPENDENTS.filter((path) => require.cache[require.resolve(path)] !== undefined)
  if (loaded.length > 0) {
    status = { installed: false, reason: `kafkajs loaded ${loaded.join(", ")} before it could be installed` }
    return status
  }

  // the same growth as kafkajs' (next power of two, the written bytes copied), without the zero fill
  Encoder.prototype.ensureAvailable = function (this: EncoderInstance, length: number) {
    if (this.offset + length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(this.offset + length))
      this.buf.copy(grown, 0, 0, this.offset)
      this.buf = grown
    }
  }
  // kafkajs' constructor zero-fills its first buffer; `super(0)` makes it one byte (on V8's heap, no backing store)
  class PooledEncoder extends Encoder {
    constructor(initialSize = 511) {
      super(0)
      this.buf = Buffer.allocUnsafe(Encoder.nextPowerOfTwo(initialSize))
    }
  }
  require.cache[require.resolve(MODULES.encoder)]!.exports = PooledEncoder

  const crc32c = nativeCrc32c(require)
  if (crc32c !== undefined) {
    require(MODULES.crc32C)
    require.cache[require.resolve(MODULES.crc32C)]!.exports = crc32c
  }
  marks[INSTALLED] = true
  status = { installed: true, crc32c: crc32c === undefined ? "kafkajs" : "native" }
  return status
}
