import fc from "fast-check"
import { Partitioners, type PartitionMetadata } from "kafkajs"
import { describe, expect, it } from "vitest"
import { murmur2Partitioner } from "../src/murmur2Partitioner.ts"

const metadata = (partitions: number): Array<PartitionMetadata> =>
  Array.from({ length: partitions }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
    offlineReplicas: [],
    partitionErrorCode: 0
  }))

describe("murmur2Partitioner", () => {
  it("picks the partition kafkajs' DefaultPartitioner (Java's murmur2) picks, for every key as text or bytes", () => {
    const ours = murmur2Partitioner()
    const theirs = Partitioners.DefaultPartitioner()
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ unit: "binary", maxLength: 80 }), fc.uint8Array({ maxLength: 80 }).map(Buffer.from)),
        fc.integer({ min: 1, max: 64 }),
        (key, partitions) => {
          const args = { topic: "t", partitionMetadata: metadata(partitions), message: { key, value: null } }
          expect(ours(args)).toBe(theirs(args))
        }
      ),
      { numRuns: 5_000 }
    )
  })

  it("keeps a partition the record names", () => {
    expect(
      murmur2Partitioner()({
        topic: "t",
        partitionMetadata: metadata(6),
        message: { key: "k", value: null, partition: 4 }
      })
    ).toBe(4)
  })
})
