import type { ICustomPartitioner, PartitionerArgs } from "kafkajs"

const SEED = 0x9747b28c
const M = 0x5bd1e995

/**
 * Kafka's murmur2 (Java `Utils.murmur2`) over the bytes of a key, in 32-bit
 * integer arithmetic. kafkajs computes the same hash with 64-bit `Long`
 * objects, several allocations per key: on a producer writing tens of
 * thousands of keyed records a second that is a visible share of the CPU.
 */
export const murmur2 = (data: Uint8Array): number => {
  const length = data.length
  let h = SEED ^ length
  const length4 = length >>> 2
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4
    let k = data[i4]! | (data[i4 + 1]! << 8) | (data[i4 + 2]! << 16) | (data[i4 + 3]! << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  const tail = length & ~3
  const rest = length & 3
  // the tail bytes, as the fall-through switch of Kafka's murmur2
  if (rest === 3) h ^= data[tail + 2]! << 16
  if (rest >= 2) h ^= data[tail + 1]! << 8
  if (rest >= 1) {
    h ^= data[tail]!
    h = Math.imul(h, M)
  }
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/**
 * The partitioner of Java's producer and kafkajs' `DefaultPartitioner` for
 * keyed records (`toPositive(murmur2(key)) % partitions`), or the record's
 * own partition when it names one: the same partitions, without kafkajs'
 * `Long` arithmetic. Records without key or partition are not expected
 * (every xpscore record has a key) and go to partition 0.
 */
export const murmur2Partitioner: ICustomPartitioner = () => (args: PartitionerArgs) => {
  const { message, partitionMetadata } = args
  if (message.partition !== undefined && message.partition !== null) return message.partition
  const key = message.key
  if (key === null || key === undefined) return 0
  const bytes = typeof key === "string" ? Buffer.from(key, "utf8") : key
  return (murmur2(bytes) & 0x7fffffff) % partitionMetadata.length
}
