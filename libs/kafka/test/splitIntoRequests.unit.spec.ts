import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { splitIntoRequests, transactionalIdFor } from "../src/transactionalProcessor.ts"

const arbitraryTopicMessages = fc.array(
  fc.record({
    topic: fc.constantFrom("scores", "state", "dead-letters"),
    messages: fc.array(
      fc.record({
        key: fc.string({ maxLength: 20 }),
        value: fc.oneof(
          fc.string({ maxLength: 400 }),
          fc.integer({ min: 0, max: 3000 }).map((n) => Buffer.alloc(n))
        )
      }),
      { maxLength: 30 }
    )
  }),
  { maxLength: 5 }
)

describe("splitIntoRequests", () => {
  it("keeps every message, in order, and no request over the budget unless one message alone exceeds it", () => {
    fc.assert(
      fc.property(arbitraryTopicMessages, fc.integer({ min: 200, max: 20_000 }), (topicMessages, budget) => {
        const requests = splitIntoRequests(topicMessages, budget)
        const flatten = (groups: ReadonlyArray<{ topic: string; messages: ReadonlyArray<unknown> }>) =>
          groups.flatMap(({ topic, messages }) => messages.map((message) => [topic, message]))
        expect(requests.flatMap(flatten)).toEqual(flatten(topicMessages))
        for (const request of requests) {
          const messages = request.flatMap((group) => group.messages)
          expect(messages.length).toBeGreaterThan(0)
          const bytes = messages.reduce(
            (sum, m) =>
              sum +
              64 +
              Buffer.byteLength(m.key as string) +
              (typeof m.value === "string" ? Buffer.byteLength(m.value) : (m.value as Buffer).length),
            0
          )
          if (messages.length > 1) expect(bytes).toBeLessThanOrEqual(budget)
        }
      })
    )
  })
})

describe("transactionalIdFor", () => {
  it("differs per input partition and per group, so owners of different partitions never fence each other", () => {
    const ids = new Set(
      ["g1", "g2"].flatMap((group) =>
        [0, 1, 2].map((partition) => transactionalIdFor("xp.interactions", group, partition))
      )
    )
    expect(ids.size).toBe(6)
    expect(transactionalIdFor("xp.interactions", "xpscore-scorer", 3)).toBe("xp.interactions:xpscore-scorer:3")
  })
})
