import { Effect } from "effect"
import type { Kafka, KafkaMessage } from "kafkajs"
import { readToEnd, type TopicReadFailed } from "./readToEnd.ts"

/**
 * Every changelog record carries, in this header, the input offset the
 * state it holds reflects (the next offset to read after the batch that
 * wrote it). Restoring checks it against the committed offsets: a state
 * ahead of them would count events twice.
 */
export const CHANGELOG_INPUT_OFFSET_HEADER = "xpscore-input-offset"

/** The latest value of one key of a changelog partition. */
export interface ChangelogEntry {
  readonly value: Buffer
  /** the {@link CHANGELOG_INPUT_OFFSET_HEADER} of the record, when it has one */
  readonly inputOffset: bigint | undefined
}

export interface RestoredPartition {
  readonly partition: number
  /** the latest value per key (tombstones remove keys), in the order the keys were last written */
  readonly entries: Map<string, ChangelogEntry>
  /** records read, superseded values and tombstones included: what compaction has not removed yet */
  readonly recordsRead: number
  /** the offset read up to (the last stable offset when the read began) */
  readonly endOffset: string
  /** the greatest input offset any record read carried */
  readonly maxInputOffset: bigint | undefined
}

export interface ReadChangelogOptions {
  readonly kafka: Kafka
  readonly topic: string
  readonly partitions: ReadonlyArray<number>
  /** prefix of the throwaway consumer group the read runs in */
  readonly groupIdPrefix: string
  /** fail when nothing arrives for this long while partitions are still short of their end */
  readonly stallTimeoutMs: number
}

const inputOffsetOf = (message: KafkaMessage): bigint | undefined => {
  const header = message.headers?.[CHANGELOG_INPUT_OFFSET_HEADER]
  const first = Array.isArray(header) ? header[0] : header
  if (first === undefined) return undefined
  try {
    return BigInt(first.toString())
  } catch {
    return undefined
  }
}

/**
 * Restores partitions of a compacted changelog: the latest value of every
 * key, read to the last stable offset. Call it only once nobody can write
 * to these partitions any more (the caller fenced the previous owner's
 * transactional producer): then the end is fixed, and the time it takes
 * grows with the number of keys (plus what compaction has not cleaned yet),
 * not with the number of events that ever changed them.
 */
export const readChangelog = (
  options: ReadChangelogOptions
): Effect.Effect<ReadonlyArray<RestoredPartition>, TopicReadFailed> => {
  const restored = new Map(
    options.partitions.map((partition) => [
      partition,
      { entries: new Map<string, ChangelogEntry>(), recordsRead: 0, maxInputOffset: undefined as bigint | undefined }
    ])
  )
  return readToEnd({
    kafka: options.kafka,
    topic: options.topic,
    partitions: options.partitions,
    groupIdPrefix: options.groupIdPrefix,
    stallTimeoutMs: options.stallTimeoutMs,
    onMessages: (partition, messages) => {
      const into = restored.get(partition)!
      const entries = into.entries
      for (const message of messages) {
        if (message.key === null) continue
        const key = message.key.toString("utf8")
        into.recordsRead++
        // delete first: a Map iterates in insertion order, so entries stay in the order last written
        entries.delete(key)
        if (message.value === null) continue
        const inputOffset = inputOffsetOf(message)
        if (inputOffset !== undefined && (into.maxInputOffset === undefined || inputOffset > into.maxInputOffset)) {
          into.maxInputOffset = inputOffset
        }
        entries.set(key, { value: message.value, inputOffset })
      }
    }
  }).pipe(
    Effect.map((ends) =>
      ends.map(({ partition, endOffset }): RestoredPartition => ({ partition, endOffset, ...restored.get(partition)! }))
    )
  )
}
