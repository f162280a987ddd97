import type { Message, Producer, ProducerRecord } from "kafkajs"
import { describe, expect, it } from "vitest"
import { makeLingeringSender, ProduceFailed } from "../src/lingeringSender.ts"

/**
 * The batching logic alone, against a recording stand-in for kafkajs'
 * producer (what reaches a real broker is tested in
 * interactionProducer.int.spec.ts).
 */
const recordingProducer = (options: { failRequest?: (index: number) => boolean } = {}) => {
  const requests: Array<ReadonlyArray<string>> = []
  let active = 0
  let maxActive = 0
  const producer = {
    send: async (record: ProducerRecord) => {
      active++
      maxActive = Math.max(maxActive, active)
      await new Promise((resolve) => setTimeout(resolve, 5))
      active--
      const index = requests.push(record.messages.map((m: Message) => String(m.value)))
      if (options.failRequest?.(index - 1)) throw new Error("NOT_ENOUGH_REPLICAS")
      return []
    }
  } as unknown as Producer
  return { producer, requests, maxActive: () => maxActive }
}

const message = (value: string): Message => ({ key: "k", value })

describe("the lingering sender", () => {
  it("sends what arrives within the linger in one request", async () => {
    const { producer, requests } = recordingProducer()
    const sender = makeLingeringSender(producer, { topic: "t", lingerMs: 20, maxBatchRecords: 100, maxBatchBytes: 1e6 })
    await Promise.all(Array.from({ length: 50 }, (_, i) => sender.send(message(`m${i}`), 10)))
    expect(requests).toEqual([Array.from({ length: 50 }, (_, i) => `m${i}`)])
  })

  it("cuts batches by count and by bytes, keeps their order and one request in flight", async () => {
    const { producer, requests, maxActive } = recordingProducer()
    const sender = makeLingeringSender(producer, { topic: "t", lingerMs: 20, maxBatchRecords: 4, maxBatchBytes: 30 })
    const sizes = [10, 10, 10, 10, 10, 5, 5, 5, 5, 5, 5]
    await Promise.all(sizes.map((bytes, i) => sender.send(message(`m${i}`), bytes)))
    expect(requests.flat()).toEqual(sizes.map((_, i) => `m${i}`))
    for (const request of requests) expect(request.length).toBeLessThanOrEqual(4)
    // 30 bytes, then 4 records (30 bytes), then the last 4 records
    expect(requests.map((request) => request.length)).toEqual([3, 4, 4])
    expect(maxActive()).toBe(1)
  })

  it("sends at once on flush, and flush waits for every earlier send", async () => {
    const { producer, requests } = recordingProducer()
    const sender = makeLingeringSender(producer, {
      topic: "t",
      lingerMs: 60_000,
      maxBatchRecords: 100,
      maxBatchBytes: 1e6
    })
    const settled: Array<string> = []
    const sends = ["a", "b"].map((value) => sender.send(message(value), 1).then(() => settled.push(value)))
    await sender.flush()
    expect(settled).toEqual(["a", "b"])
    expect(requests).toEqual([["a", "b"]])
    await Promise.all(sends)
  })

  it("fails every send of a refused batch with ProduceFailed, and goes on with the next", async () => {
    const { producer } = recordingProducer({ failRequest: (index) => index === 0 })
    const sender = makeLingeringSender(producer, {
      topic: "xp.interactions",
      lingerMs: 1,
      maxBatchRecords: 2,
      maxBatchBytes: 1e6
    })
    const results = await Promise.allSettled(["a", "b", "c"].map((value) => sender.send(message(value), 1)))
    expect(results.map((result) => result.status)).toEqual(["rejected", "rejected", "fulfilled"])
    const failure = (results[0] as PromiseRejectedResult).reason
    expect(failure).toBeInstanceOf(ProduceFailed)
    expect(failure.message).toBe("could not write 2 records to xp.interactions: NOT_ENOUGH_REPLICAS")
  })

  it("refuses sends after close, having sent what was buffered", async () => {
    const { producer, requests } = recordingProducer()
    const sender = makeLingeringSender(producer, {
      topic: "t",
      lingerMs: 60_000,
      maxBatchRecords: 100,
      maxBatchBytes: 1e6
    })
    const last = sender.send(message("last"), 1)
    await sender.close()
    await last
    expect(requests).toEqual([["last"]])
    await expect(sender.send(message("late"), 1)).rejects.toBeInstanceOf(ProduceFailed)
  })
})
