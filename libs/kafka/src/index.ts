export {
  type BatchConsumer,
  BatchConsumerFailed,
  type BatchConsumerOptions,
  type BatchConsumerStatus,
  type CommittedOffset,
  type PartitionLag,
  startBatchConsumer,
  type TopicPartitions,
  type WriteFailure
} from "./batchConsumer.ts"
export { type ConsumedRecord, type PartitionOffset, PendingBatch, type TakenBatch } from "./pendingBatch.ts"
