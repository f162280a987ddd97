import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { type ConsumedRecord, PendingBatch } from "../src/pendingBatch.ts"

const record = (topic: string, partition: number, offset: number): ConsumedRecord => ({
  topic,
  partition,
  offset: String(offset),
  key: null,
  value: Buffer.from(`${topic}/${partition}/${offset}`),
  headers: {},
  timestampMs: 0
})

describe("PendingBatch", () => {
  it("given fetched batches, takes every record once and commits one past the highest offset per partition", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ partition: fc.nat(3), size: fc.nat(5), gap: fc.nat(3) }), { maxLength: 30 }),
        (fetches) => {
          const pending = new PendingBatch()
          const next = new Map<number, number>()
          let rows = 0
          for (const { partition, size, gap } of fetches) {
            const start = next.get(partition) ?? 0
            const records = Array.from({ length: size }, (_, i) => record("t", partition, start + i))
            // a trailing transaction marker makes the batch end past its last record
            const end = start + size + gap
            pending.add(records, "t", partition, String(end), 1)
            next.set(partition, end)
            rows += size
          }
          expect(pending.rows).toBe(rows)
          const taken = pending.take()
          expect(taken.records).toHaveLength(rows)
          expect(new Map(taken.offsets.map((o) => [o.partition, Number(o.nextOffset)]))).toEqual(next)
          expect(pending.isEmpty).toBe(true)
          expect(pending.take().records).toHaveLength(0)
        }
      )
    )
  })

  it("given a row limit, hands over at most that many records per take and commits exactly what was handed over", () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ partition: fc.nat(2), size: fc.nat(6) }), { maxLength: 20 }),
        fc.integer({ min: 1, max: 7 }),
        (fetches, limit) => {
          const pending = new PendingBatch()
          const next = new Map<number, number>()
          for (const { partition, size } of fetches) {
            const start = next.get(partition) ?? 0
            const records = Array.from({ length: size }, (_, i) => record("t", partition, start + i))
            pending.add(records, "t", partition, String(start + size), 1)
            next.set(partition, start + size)
          }
          const handedOver: Array<ConsumedRecord> = []
          const commitPoint = new Map<number, number>()
          while (!pending.isEmpty) {
            const taken = pending.take(limit)
            expect(taken.records.length).toBeLessThanOrEqual(limit)
            handedOver.push(...taken.records)
            for (const offset of taken.offsets) {
              const at = Number(offset.nextOffset)
              expect(at).toBeGreaterThanOrEqual(commitPoint.get(offset.partition) ?? 0)
              commitPoint.set(offset.partition, at)
              // every record below the commit point has been handed over, none above it
              const mine = handedOver.filter((r) => r.partition === offset.partition).map((r) => Number(r.offset))
              expect(mine).toEqual(Array.from({ length: at }, (_, i) => i))
            }
          }
          expect(commitPoint).toEqual(next)
        }
      )
    )
  })

  it("advances a partition without records, and never moves a commit point backwards", () => {
    const pending = new PendingBatch()
    pending.add([record("t", 0, 7)], "t", 0, "8", 100)
    pending.advance("t", 0, "10", 150)
    pending.advance("t", 0, "9", 160)
    pending.advance("t", 1, "4", 170)
    expect(pending.rows).toBe(1)
    expect(pending.ageMs(400)).toBe(300)
    expect(pending.take().offsets).toEqual([
      { topic: "t", partition: 0, nextOffset: "10" },
      { topic: "t", partition: 1, nextOffset: "4" }
    ])
    expect(pending.ageMs(500)).toBe(0)
  })

  it("compares offsets as 64-bit integers, not as text", () => {
    const pending = new PendingBatch()
    pending.advance("t", 0, "9007199254740993", 0)
    pending.advance("t", 0, "10", 0)
    expect(pending.take().offsets[0]?.nextOffset).toBe("9007199254740993")
  })
})
