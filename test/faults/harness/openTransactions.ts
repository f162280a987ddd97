import type { Kafka } from "kafkajs"

/** A partition holding records of a transaction that is neither committed nor aborted. */
export interface OpenTransactionPartition {
  readonly topic: string
  readonly partition: number
  /** the high watermark: every record written, open transactions included */
  readonly highWatermark: number
  /** the last stable offset: read_committed readers stop here, before the first open transaction */
  readonly lastStableOffset: number
}

interface ClusterLike {
  connect(): Promise<void>
  disconnect(): Promise<void>
  addMultipleTargetTopics(topics: ReadonlyArray<string>): Promise<void>
  refreshMetadata(): Promise<void>
  findTopicPartitionMetadata(topic: string): ReadonlyArray<{ partitionId: number }>
  fetchTopicsOffset(
    topics: ReadonlyArray<{
      topic: string
      fromBeginning: boolean
      partitions: ReadonlyArray<{ partition: number }>
    }>
  ): Promise<ReadonlyArray<{ topic: string; partitions: ReadonlyArray<{ partition: number; offset: string }> }>>
}

const READ_UNCOMMITTED = 0
const READ_COMMITTED = 1

/**
 * Whether a transaction is open right now, read from the broker: a partition
 * whose high watermark is above its last stable offset holds records of a
 * transaction that has not ended. kafkajs' admin lists offsets read_committed
 * only (the LSO), so the probe uses its cluster with both isolation levels
 * (through the client's private factory: this is test code, and the public
 * API has no other way to ask for the high watermark).
 */
export class OpenTransactionProbe {
  private readonly uncommitted: ClusterLike
  private readonly committed: ClusterLike
  private readonly topics: ReadonlyArray<string>

  private constructor(uncommitted: ClusterLike, committed: ClusterLike, topics: ReadonlyArray<string>) {
    this.uncommitted = uncommitted
    this.committed = committed
    this.topics = topics
  }

  static async connect(kafka: Kafka, topics: ReadonlyArray<string>): Promise<OpenTransactionProbe> {
    const factory = Object.getOwnPropertySymbols(kafka).find(
      (symbol) => symbol.description === "private:Kafka:createCluster"
    )
    if (factory === undefined) throw new Error("this kafkajs has no private cluster factory: update the probe")
    const create = (kafka as unknown as Record<symbol, (options: object) => ClusterLike>)[factory]!
    const clusters = [READ_UNCOMMITTED, READ_COMMITTED].map((isolationLevel) =>
      create.call(kafka, { allowAutoTopicCreation: false, isolationLevel })
    ) as [ClusterLike, ClusterLike]
    for (const cluster of clusters) {
      await cluster.connect()
      await cluster.addMultipleTargetTopics(topics)
      await cluster.refreshMetadata()
    }
    return new OpenTransactionProbe(clusters[0], clusters[1], topics)
  }

  private async offsets(cluster: ClusterLike) {
    const answers = await cluster.fetchTopicsOffset(
      this.topics.map((topic) => ({
        topic,
        fromBeginning: false,
        partitions: cluster.findTopicPartitionMetadata(topic).map((p) => ({ partition: p.partitionId }))
      }))
    )
    const offsets = new Map<string, number>()
    for (const { topic, partitions } of answers) {
      for (const { partition, offset } of partitions) offsets.set(`${topic}\u0000${partition}`, Number(offset))
    }
    return offsets
  }

  /** Every partition of the probed topics, with both offsets. */
  async partitions(): Promise<Array<OpenTransactionPartition>> {
    const [high, stable] = await Promise.all([this.offsets(this.uncommitted), this.offsets(this.committed)])
    return [...high].map(([key, highWatermark]) => {
      const [topic, partition] = key.split("\u0000") as [string, string]
      return { topic, partition: Number(partition), highWatermark, lastStableOffset: stable.get(key) ?? highWatermark }
    })
  }

  /** The partitions of the probed topics with an open transaction. */
  async open(): Promise<Array<OpenTransactionPartition>> {
    return (await this.partitions()).filter((p) => p.highWatermark > p.lastStableOffset)
  }

  async close() {
    await Promise.all([this.uncommitted.disconnect(), this.committed.disconnect()])
  }
}
