import { describe, expect, it } from "vitest"
import { alignAbortedTransactions, type FetchedRecord } from "../src/abortedTransactions.ts"

const records = (...producers: ReadonlyArray<string>): Array<FetchedRecord> =>
  producers.map((producerId, offset) => ({ offset: String(offset), batchContext: { producerId } }))

describe("alignAbortedTransactions", () => {
  it("orders the transactions by the first record each has in the fetch, not as the broker lists them", () => {
    // a1 b1 a2 b2 c1 c-commit b-abort a-abort: the broker lists [b (1), a (0)]
    const fetched = records("a", "b", "a", "b", "c", "c", "b", "a")
    expect(
      alignAbortedTransactions(fetched, [
        { producerId: "b", firstOffset: "1" },
        { producerId: "a", firstOffset: "0" }
      ])
    ).toEqual([
      { producerId: "a", firstOffset: "0" },
      { producerId: "b", firstOffset: "1" }
    ])
  })

  it("moves a transaction that began before the fetch to its producer's first record in it", () => {
    // the fetch starts at offset 3: b2 c1 c-commit b-abort a-abort
    const fetched = records("a", "b", "a", "b", "c", "c", "b", "a").slice(3)
    expect(
      alignAbortedTransactions(fetched, [
        { producerId: "b", firstOffset: "1" },
        { producerId: "a", firstOffset: "0" }
      ])
    ).toEqual([
      { producerId: "b", firstOffset: "3" },
      { producerId: "a", firstOffset: "7" }
    ])
  })

  it("keeps a producer's successive aborted transactions apart and leaves out those with nothing in the fetch", () => {
    // a1 a-abort a2 a-abort (a's two transactions), then only z's records
    const fetched = records("a", "a", "a", "a", "z")
    expect(
      alignAbortedTransactions(fetched, [
        { producerId: "a", firstOffset: "2" },
        { producerId: "a", firstOffset: "0" },
        { producerId: "q", firstOffset: "1" }
      ])
    ).toEqual([
      { producerId: "a", firstOffset: "0" },
      { producerId: "a", firstOffset: "2" }
    ])
  })
})
