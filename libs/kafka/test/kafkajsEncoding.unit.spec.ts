import { execFileSync } from "node:child_process"
import { createRequire } from "node:module"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
// what every process does by making a client: installs the faster encoding
import "../src/kafkaClient.ts"
import { kafkajsEncodingStatus } from "../src/kafkajsEncoding.ts"
import { produceRequestBytes } from "./kafkajsSamples.ts"

const require = createRequire(import.meta.url)
const samples = fileURLToPath(new URL("./kafkajsSamples.ts", import.meta.url))

/** The samples from a fresh process whose kafkajs nothing has changed. */
const fromPlainKafkajs = (): Buffer => {
  const output = execFileSync(
    process.execPath,
    [
      "--input-type=module",
      "-e",
      `import { produceRequestBytes } from ${JSON.stringify(samples)}
process.stdout.write((await produceRequestBytes()).toString("base64"))`
    ],
    { encoding: "utf8" }
  )
  return Buffer.from(output, "base64")
}

describe("kafkajs' encoding with xpscore's faster pieces", () => {
  it("is installed in this kafkajs, every piece (else kafkajs was upgraded: review kafkajsEncoding.ts)", () => {
    expect(kafkajsEncodingStatus()).toEqual({ encoder: "installed", crc32c: "installed" })
  })

  it("puts on the wire exactly the bytes kafkajs alone does for a transactional produce request", async () => {
    const faster = await produceRequestBytes()
    const plain = fromPlainKafkajs()
    expect(plain.length).toBeGreaterThan(200_000)
    expect(faster.equals(plain)).toBe(true)
  })

  it("computes CRC-32C: the check value and RFC 3720's vectors", () => {
    const crc32C = require("kafkajs/src/protocol/recordBatch/crc32C/index.js") as (buffer: Buffer) => number
    const ascending = Buffer.from(Array.from({ length: 32 }, (_, i) => i))
    expect(crc32C(Buffer.from("123456789"))).toBe(0xe3069283)
    expect(crc32C(Buffer.alloc(32, 0))).toBe(0x8a9136aa)
    expect(crc32C(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43)
    expect(crc32C(ascending)).toBe(0x46dd794e)
    expect(crc32C(Buffer.from(ascending).reverse())).toBe(0x113fdb5c)
    expect(crc32C(Buffer.alloc(0))).toBe(0)
  })

  it("computes the CRC-32C kafkajs' JavaScript one does, on views into larger buffers too", () => {
    const crc32C = require("kafkajs/src/protocol/recordBatch/crc32C/index.js") as (buffer: Buffer) => number
    const javascript = require("kafkajs/src/protocol/recordBatch/crc32C/crc32C.js") as (buffer: Buffer) => number
    const whole = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 7919) % 251))
    for (const [from, to] of [
      [0, 1],
      [3, 4_099],
      [1, 65_537],
      [0, 100_000]
    ] as const) {
      const view = whole.subarray(from, to)
      expect(crc32C(view)).toBe(javascript(view))
    }
  })
})
