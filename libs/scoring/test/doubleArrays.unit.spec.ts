import { describe, expect, it } from "vitest"
import { acquire, doubles, release } from "../src/doubleArrays.ts"

// Lengths no other test in this file's worker hands to the pool, so that each case starts from an empty pool.
describe("the recycled double arrays of the state", () => {
  it("hands a released array out again, once: two states never share one", () => {
    const a = doubles(301)
    a[7] = 1.5
    release(a)
    const first = acquire(301)
    const second = acquire(301)
    expect(first).toBe(a)
    expect(second).not.toBe(a)
    expect(second).toHaveLength(301)
    expect(second.every((x) => x === 0)).toBe(true)
  })

  it("keeps at most four spares per length, the latest released first", () => {
    const released = [0, 1, 2, 3, 4].map(() => doubles(302))
    for (const a of released) release(a)
    const out = [0, 1, 2, 3, 4].map(() => acquire(302))
    for (let i = 0; i < 4; i++) expect(out[i]).toBe(released[3 - i])
    expect(released).not.toContain(out[4])
  })

  it("keeps no spares of 512 numbers or more", () => {
    const big = doubles(600)
    release(big)
    expect(acquire(600)).not.toBe(big)
  })
})
