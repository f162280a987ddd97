import { createRequire } from "node:module"

/**
 * The bytes kafkajs puts on the wire for one transactional produce request,
 * built from kafkajs' own modules: two topics, several partitions, keys and
 * values of every kind (text, bytes, none), headers (single, repeated,
 * bytes), values from a few bytes to past 64 KiB (so encoders grow several
 * times). Run in a process where xpscore's faster encoding is installed and
 * in one where kafkajs is left as it is, it must give the same bytes.
 */
export const produceRequestBytes = async (): Promise<Buffer> => {
  const require = createRequire(import.meta.url)
  const encodeRequest = require("kafkajs/src/protocol/request.js") as (request: unknown) => Promise<{ buffer: Buffer }>
  const produceRequest = require("kafkajs/src/protocol/requests/produce/v3/request.js") as (options: unknown) => unknown
  const Long = require("kafkajs/src/utils/long.js") as { fromValue: (value: number) => unknown }

  let seed = 7
  const bytes = (length: number) => {
    const out = Buffer.allocUnsafe(length)
    for (let i = 0; i < length; i++) {
      seed = (seed * 1_103_515_245 + 12_345) >>> 0
      out[i] = seed >>> 24
    }
    return out
  }
  const sizes = [0, 1, 17, 260, 511, 512, 3_000, 70_000, 260, 90]
  const messages = (from: number) =>
    sizes.map((size, i) => ({
      key: i % 3 === 0 ? `customer-${from + i}` : i % 3 === 1 ? bytes(12) : null,
      value: i === 4 ? null : i % 2 === 0 ? bytes(size) : bytes(size).toString("hex").slice(0, size),
      headers:
        i % 4 === 0
          ? {}
          : { "xp-input-offset": String(from + i), "xp-bytes": bytes(5), "xp-many": ["a", "ü", String(i)] },
      timestamp: String(1_735_689_600_000 + ((from + i) % 7) * 1_000)
    }))
  const topicData = [
    {
      topic: "xp.scores",
      partitions: [
        { partition: 0, firstSequence: 0, messages: messages(0) },
        { partition: 5, firstSequence: 41, messages: messages(100) }
      ]
    },
    { topic: "xp.scorer-state", partitions: [{ partition: 2, firstSequence: 9, messages: messages(200) }] }
  ]
  const request = produceRequest({
    acks: -1,
    timeout: 30_000,
    transactionalId: "xp.interactions:xp.scorer:2",
    producerId: Long.fromValue(4_242),
    producerEpoch: 3,
    compression: 0,
    topicData
  })
  const encoded = await encodeRequest({ correlationId: 99, clientId: "xpscore-test", request })
  return Buffer.from(encoded.buffer)
}
