import { createRequire } from "node:module"

/**
 * Faster pieces for kafkajs 2.2.4's producer, the same bytes out.
 *
 * A CPU profile of the scorer (docs/benchmarks.md, figure 3) put about 40 %
 * of its time in kafkajs preparing what it produces, most of it in places
 * that do more work than the bytes need:
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
 * `kafkaClient.ts` has called this. Each piece applies only to the kafkajs
 * version it was written for, and only if those modules are not loaded
 * yet; otherwise it changes nothing (kafkajs stays correct, only slower)
 * and `kafkajsEncodingStatus` says why. The unit test requires both pieces
 * installed, beside a byte-for-byte comparison of a produce request with
 * one from a kafkajs left as it is.
 *
 * Not replaced: kafkajs' `groupMessagesPerPartition`, which copies a
 * partition's array for every message added (quadratic per request). A
 * linear one is 30 times faster alone, yet the scorer measured slower with
 * it (docs/benchmarks.md), the time going to allocating and copying
 * kafkajs' large encoder buffers instead: apparently the old one's garbage
 * kept young collections frequent enough to free those buffers soon after
 * each request (with them forced frequent, the linear one was faster).
 */

const FOR_VERSION = "2.2.4"

const MODULES = {
  encoder: "kafkajs/src/protocol/encoder.js",
  crc32C: "kafkajs/src/protocol/recordBatch/crc32C/index.js"
} as const

/** kafkajs' modules that take the encoder class or the CRC function when they are loaded. */
const ENCODER_DEPENDENTS = [
  "kafkajs/src/protocol/recordBatch/record/v0/index.js",
  "kafkajs/src/protocol/recordBatch/header/v0/index.js",
  "kafkajs/src/protocol/recordBatch/v0/index.js",
  "kafkajs/src/protocol/requests/produce/v3/request.js"
] as const

/** For each piece: "installed", or why not. */
export interface KafkajsEncodingStatus {
  readonly encoder: string
  readonly crc32c: string
}

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

const notYet = "installKafkajsEncoding has not run"
let status: KafkajsEncodingStatus = { encoder: notYet, crc32c: notYet }

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

const INSTALLED_PIECE = "installed"

/** Installs the faster pieces (see above) into this process's kafkajs. Idempotent. */
export const installKafkajsEncoding = (): KafkajsEncodingStatus => {
  const require = createRequire(import.meta.url)
  const Encoder = require(MODULES.encoder) as EncoderClass
  const marks = Encoder.prototype as unknown as Record<symbol, unknown>
  if (marks[INSTALLED] !== undefined) return status
  marks[INSTALLED] = true
  const version = (require("kafkajs/package.json") as { version: string }).version
  if (version !== FOR_VERSION) {
    const reason = `written for kafkajs ${FOR_VERSION}, found ${version}`
    status = { encoder: reason, crc32c: reason }
    return status
  }
  const loaded = (paths: ReadonlyArray<string>) => {
    const early = paths.filter((path) => require.cache[require.resolve(path)] !== undefined)
    return early.length === 0 ? undefined : `kafkajs loaded ${early.join(", ")} before this was installed`
  }
  const swap = (path: string, exports: unknown) => {
    require(path)
    require.cache[require.resolve(path)]!.exports = exports
  }

  const encoderTooLate = loaded(ENCODER_DEPENDENTS)
  let crc32c = encoderTooLate ?? INSTALLED_PIECE
  if (encoderTooLate === undefined) {
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
    swap(MODULES.encoder, PooledEncoder)
    const native = nativeCrc32c(require)
    if (native === undefined) crc32c = "@node-rs/crc32 has no native build that loads here"
    else swap(MODULES.crc32C, native)
  }

  status = { encoder: encoderTooLate ?? INSTALLED_PIECE, crc32c }
  return status
}
