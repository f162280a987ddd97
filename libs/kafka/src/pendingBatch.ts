/** One record as the batch consumer hands it to its writer: raw bytes and where they came from. */
export interface ConsumedRecord {
  readonly topic: string
  readonly partition: number
  /** the record's offset (Kafka offsets are 64-bit; kafkajs gives them as decimal strings) */
  readonly offset: string
  readonly key: Buffer | null
  readonly value: Buffer | null
  readonly headers: Readonly<Record<string, string | undefined>>
  /** broker or producer timestamp, epoch ms */
  readonly timestampMs: number
}

/** The offset to commit for a partition: the next one to read. */
export interface PartitionOffset {
  readonly topic: string
  readonly partition: number
  readonly nextOffset: string
}

/** What a flush writes and then commits. */
export interface TakenBatch {
  readonly records: ReadonlyArray<ConsumedRecord>
  readonly offsets: ReadonlyArray<PartitionOffset>
}

const partitionKey = (topic: string, partition: number) => `${topic}\u0000${partition}`

const later = (a: string, b: string) => (BigInt(a) >= BigInt(b) ? a : b)

/**
 * The records consumed since the last flush and, per partition, the offset
 * that committing them advances to. A partition can advance without records:
 * a fetch that held only transaction markers or aborted records (read_committed)
 * still moves the committed offset, so lag reaches zero behind a
 * transactional producer.
 */
export class PendingBatch {
  private records: Array<ConsumedRecord> = []
  private ends = new Map<string, PartitionOffset>()
  private startedAtMs: number | undefined

  get rows(): number {
    return this.records.length
  }

  /** True when there is nothing to write and no offset to move. */
  get isEmpty(): boolean {
    return this.records.length === 0 && this.ends.size === 0
  }

  /** Milliseconds since the oldest record or offset still waiting arrived; 0 when empty. */
  ageMs(nowMs: number): number {
    return this.startedAtMs === undefined ? 0 : nowMs - this.startedAtMs
  }

  /** Adds a fetched batch of one partition (in offset order); `nextOffset` is one past the last offset it covered. */
  add(records: ReadonlyArray<ConsumedRecord>, topic: string, partition: number, nextOffset: string, nowMs: number) {
    for (const record of records) this.records.push(record)
    this.advance(topic, partition, nextOffset, nowMs)
  }

  /** Moves a partition's commit point without records (control records, aborted transactions). */
  advance(topic: string, partition: number, nextOffset: string, nowMs: number) {
    const key = partitionKey(topic, partition)
    const current = this.ends.get(key)
    this.ends.set(key, {
      topic,
      partition,
      nextOffset: current === undefined ? nextOffset : later(current.nextOffset, nextOffset)
    })
    this.startedAtMs ??= nowMs
  }

  /**
   * Hands over the oldest `maxRows` records (all by default) and the offsets
   * that committing exactly them reaches: for a partition with records left
   * behind, the offset of its first record left; for the others, their end.
   * What is left stays, with its age.
   */
  take(maxRows: number = Number.POSITIVE_INFINITY): TakenBatch {
    const records = this.records.length <= maxRows ? this.records : this.records.slice(0, maxRows)
    const rest = this.records.length <= maxRows ? [] : this.records.slice(maxRows)
    const firstLeft = new Map<string, string>()
    for (const record of rest) {
      const key = partitionKey(record.topic, record.partition)
      if (!firstLeft.has(key)) firstLeft.set(key, record.offset)
    }
    const offsets: Array<PartitionOffset> = []
    for (const [key, end] of this.ends) {
      const left = firstLeft.get(key)
      offsets.push(left === undefined ? end : { ...end, nextOffset: left })
      if (left === undefined) this.ends.delete(key)
    }
    this.records = rest
    if (this.isEmpty) this.startedAtMs = undefined
    return { records, offsets }
  }

  /** Forgets everything (after a rebalance the group re-reads from the committed offsets). */
  clear() {
    this.records = []
    this.ends = new Map()
    this.startedAtMs = undefined
  }
}
