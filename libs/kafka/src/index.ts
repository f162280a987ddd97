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
  createInteractionProducer,
  type InteractionProducerClient,
  type InteractionProducerOptions,
  ProducerStartFailed,
  type Validation
} from "./createInteractionProducer.ts"
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
export { ProduceFailed } from "./lingeringSender.ts"
export { type ConsumedRecord, type PartitionOffset, PendingBatch, type TakenBatch } from "./pendingBatch.ts"
export {
  DEFAULT_TOPIC_PREFIX,
  type TopicLayout,
  type TopicNames,
  TopicPrefix,
  type TopicSpec,
  topicLayoutConfig,
  topicNames,
  topicNamesConfig,
  topicPrefixConfig,
  topicSpecs
} from "./topics.ts"
