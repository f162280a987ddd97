import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { hashId, sourceLanes } from "../src/dedupHash.ts"
import { key, packId, readKey, sourceIndexOf, unpackId } from "../src/eventKey.ts"

const runs = { numRuns: Number(process.env.XPSCORE_FC_RUNS ?? 1000) * 5 }

/** What `readKey` packs: a lowercase canonical UUID, and nothing else. */
const LOWERCASE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

const hexDigit = fc.constantFrom(..."0123456789abcdef")
const uuidArb = fc
  .array(hexDigit, { minLength: 32, maxLength: 32 })
  .map(
    (d) =>
      `${d.slice(0, 8).join("")}-${d.slice(8, 12).join("")}-${d.slice(12, 16).join("")}-${d.slice(16, 20).join("")}-${d.slice(20).join("")}`
  )

/** Code units next to the ranges a UUID is made of, and far from them. */
const strayUnit = fc.constantFrom(
  "/",
  ":",
  "`",
  "g",
  "G",
  "A",
  "F",
  "-",
  "0",
  "f",
  " ",
  "\u0000",
  "\u007f",
  "\u0080",
  "\u00e9",
  "\u2013",
  "\u3030",
  "\uffff",
  "\ud800"
)

/** UUIDs with up to three code units replaced: most are no longer UUIDs, some still are. */
const nearUuidArb = fc
  .tuple(uuidArb, fc.array(fc.tuple(fc.nat({ max: 35 }), strayUnit), { maxLength: 3 }))
  .map(([id, edits]) => {
    const units = [...id]
    for (const [at, unit] of edits) units[at] = unit
    return units.join("")
  })

const idArb = fc.oneof(uuidArb, nearUuidArb, fc.string({ minLength: 36, maxLength: 36 }), fc.string({ maxLength: 40 }))

describe("an event's key", () => {
  it("given any id, when read, then it is packed exactly when it is a lowercase UUID, unpacks to itself, and hashes as hashId does", () => {
    const source = "/checkout"
    const index = sourceIndexOf(source)
    fc.assert(
      fc.property(idArb, (id) => {
        readKey(index, source, id)
        expect(key.hash).toBe(hashId(sourceLanes(source), id))
        expect(key.k0 >= 0).toBe(LOWERCASE_UUID.test(id))
        if (key.k0 >= 0) expect(unpackId(key.k0, key.k1, key.k2)).toBe(id)
        const packed = [key.k0, key.k1, key.k2]
        // A source past the table (index 0) hashes from its string, to the same hash.
        readKey(0, source, id)
        expect(key.hash).toBe(hashId(sourceLanes(source), id))
        packId(id)
        expect(key.k0).toBe(packed[0])
        if (key.k0 >= 0) expect([key.k1, key.k2]).toEqual(packed.slice(1))
      }),
      runs
    )
  })
})
