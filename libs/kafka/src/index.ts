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
export {
  CHANGELOG_INPUT_OFFSET_HEADER,
  type ChangelogEntry,
  type ReadChangelogOptions,
  type RestoredPartition,
  readChangelog
} from "./changelogRestore.ts"
export {
  createInteractionProducer,
  type InteractionProducerClient,
  type InteractionProducerOptions,
  ProducerStartFailed,
  type Validation
} from "./createInteractionProducer.ts"
export {
  type DeadLetterEntry,
  deadLetterInfoOf,
  type OriginalAttributes,
  originalAttributes,
  readDeadLetters
} from "./deadLetterReader.ts"
export {
  type DeadLetterOrigin,
  deadLetterMessage,
  headersAsText,
  originalHeaders,
  readDeadLetterMessage
} from "./deadLetters.ts"
export {
  ensureTopics,
  missingTopics,
  requireTopics,
  TopicSetupFailed,
  type TopicStatus,
  TopicsMissing,
  TopicsNotCoPartitioned
} from "./ensureTopics.ts"
export { InteractionProducer, type InteractionProducerSettings } from "./InteractionProducer.ts"
export { type InteractionRecord, prepareInteraction } from "./interactionRecord.ts"
export { type KafkaClientOptions, kafkaClient, makeKafka } from "./kafkaClient.ts"
export { type KafkajsEncodingStatus, kafkajsEncodingStatus } from "./kafkajsEncoding.ts"
export { ProduceFailed } from "./lingeringSender.ts"
export { murmur2, murmur2Partitioner } from "./murmur2Partitioner.ts"
export {
  commitPlannedOffsets,
  GroupHasMembers,
  type GroupMembership,
  groupMembership,
  groupPositions,
  OffsetResetFailed,
  type OffsetResetTarget,
  offsetsAtTime,
  type PartitionPosition,
  type PlannedOffset,
  planOffsetReset,
  requireNoMembers,
  type TimeOffsets,
  type TopicSelection,
  timeOffsetKey
} from "./offsetReset.ts"
export { type ConsumedRecord, type PartitionOffset, PendingBatch, type TakenBatch } from "./pendingBatch.ts"
export { type PartitionEnd, type ReadToEndOptions, readToEnd, TopicReadFailed } from "./readToEnd.ts"
export {
  RedriveFailed,
  type RedriveInfo,
  type RedriveSource,
  readRedrive,
  redriveDeadLetters,
  redriveHeaderNames,
  redriveMessage
} from "./redrive.ts"
export {
  DEFAULT_TOPIC_PREFIX,
  ModelVersionLabel,
  modelVersionTopicNames,
  type TopicLayout,
  type TopicNames,
  TopicPrefix,
  type TopicSpec,
  topicLayoutConfig,
  topicModelVersionConfig,
  topicNames,
  topicNamesConfig,
  topicPrefixConfig,
  topicSpecs
} from "./topics.ts"
export {
  type BatchFailure,
  type BatchOutput,
  ChangelogAheadOfOffsets,
  type ChangelogWrite,
  type CommittedBatch,
  type InputBatch,
  type PartitionPhase,
  type PartitionProcessor,
  type PartitionStatus,
  type ProcessorStatus,
  type RestoredPartitionInfo,
  splitIntoRequests,
  startTransactionalProcessor,
  type TransactionalProcessor,
  TransactionalProcessorFailed,
  type TransactionalProcessorOptions,
  transactionalIdFor
} from "./transactionalProcessor.ts"
