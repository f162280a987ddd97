import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { SeqWatermarks } from "../src/seqWatermarks.ts"

describe("SeqWatermarks", () => {
  it("never lowers a customer's mark", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom("a", "b", "c"), fc.nat(100))), (raises) => {
        const marks = new SeqWatermarks(10)
        const highest = new Map<string, number>()
        for (const [customer, seq] of raises) {
          marks.raise(customer, seq)
          highest.set(customer, Math.max(highest.get(customer) ?? 0, seq))
        }
        for (const [customer, seq] of highest) expect(marks.get(customer)).toBe(seq)
      })
    )
  })

  it("forgets the least recently used customers beyond its capacity, so they are looked up again", () => {
    const marks = new SeqWatermarks(2)
    marks.raise("a", 1)
    marks.raise("b", 2)
    expect(marks.get("a")).toBe(1) // a is now the most recently used
    marks.raise("c", 3)
    expect([marks.has("a"), marks.has("b"), marks.has("c")]).toEqual([true, false, true])
    expect(marks.size).toBe(2)
  })

  it("forgets chosen customers, or all of them", () => {
    const marks = new SeqWatermarks(10)
    marks.raise("a", 1)
    marks.raise("b", 2)
    marks.forget(["a"])
    expect([marks.get("a"), marks.get("b")]).toEqual([undefined, 2])
    marks.clear()
    expect(marks.size).toBe(0)
  })
})
