import { murmur2Partitioner, topicNames } from "@xpscore/kafka"
import { Effect, Exit } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { statePartition } from "../src/customerInspection.ts"
import { checkReset, defaultTopicsOf, type GroupRole } from "../src/groupReset.ts"
import { candidateLabelOfScorerGroup, candidateNamespace } from "../src/modelVersionNamespace.ts"
import { rebuildProblems } from "../src/projectionRebuild.ts"

const topics = topicNames("xp.")
const scorer: GroupRole = { _tag: "Scorer", topics }
const projector: GroupRole = { _tag: "Projector", topics }
const refused = (effect: Effect.Effect<void, unknown>) => Exit.isFailure(Effect.runSyncExit(effect))

describe("what a reset may do", () => {
  it("a scorer group: only to the earliest offsets, of every partition of the interactions", () => {
    expect(refused(checkReset("xp.scorer", scorer, { _tag: "Earliest" }, [{ topic: topics.interactions }]))).toBe(false)
    expect(
      refused(checkReset("xp.scorer", scorer, { _tag: "Offset", offset: 0 }, [{ topic: topics.interactions }]))
    ).toBe(true)
    expect(
      refused(checkReset("xp.scorer", scorer, { _tag: "Time", timeMs: 0 }, [{ topic: topics.interactions }]))
    ).toBe(true)
    expect(
      refused(checkReset("xp.scorer", scorer, { _tag: "Earliest" }, [{ topic: topics.interactions, partitions: [0] }]))
    ).toBe(true)
    expect(refused(checkReset("xp.scorer", scorer, { _tag: "Earliest" }, [{ topic: topics.scores }]))).toBe(true)
  })

  it("a projector group: anything, by default on the scores and the interactions", () => {
    expect(
      refused(checkReset("p", projector, { _tag: "Time", timeMs: 0 }, [{ topic: topics.scores, partitions: [2] }]))
    ).toBe(false)
    expect(defaultTopicsOf(projector)).toEqual([topics.scores, topics.interactions])
    expect(defaultTopicsOf(scorer)).toEqual([topics.interactions])
  })

  it("recognizes a candidate model version's scorer group, and names the candidate's database as an identifier", () => {
    const candidate = candidateNamespace("xp.", "xpscore", "m1-0123456789ab")
    expect(candidate.database).toBe("xpscore_m1_0123456789ab")
    expect(candidateLabelOfScorerGroup("xp.", candidate.scorerGroup)).toBe("m1-0123456789ab")
    expect(candidateLabelOfScorerGroup("xp.", "xp.scorer")).toBeUndefined()
  })
})

describe("a rebuilt projection", () => {
  const counts = { scoreRecords: 10, customers: 3, interactions: 9, seqSum: 10, rollupRecords: 10 }
  it("is swapped in only when its records are gapless, counted once, and no fewer than the live ones", () => {
    expect(rebuildProblems(counts, counts)).toEqual([])
    expect(rebuildProblems({ ...counts, seqSum: 12 }, counts)).toHaveLength(1)
    expect(rebuildProblems({ ...counts, rollupRecords: 11 }, counts)).toHaveLength(1)
    expect(rebuildProblems(counts, { ...counts, interactions: 10 })).toEqual([
      "it holds fewer interactions (9) than the live tables (10)"
    ])
  })
})

describe("the changelog partition of a customer", () => {
  it("is the partition producers put the customer's events in (murmur2 of the key)", () => {
    const partition = murmur2Partitioner()
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.integer({ min: 1, max: 64 }), (customerId, partitions) => {
        const expected = partition({
          topic: "t",
          message: { key: customerId, value: null },
          partitionMetadata: Array.from({ length: partitions }, (_, i) => ({
            partitionId: i,
            leader: 0,
            partitionErrorCode: 0,
            replicas: [0],
            isr: [0]
          }))
        })
        expect(statePartition(customerId, partitions)).toBe(expected)
      })
    )
  })
})
