import { currentRegistry, type EventRegistry, type EventRejected, type XpEvent } from "@xpscore/events"
import { type Context, Effect, Result, Schema } from "effect"
import { Partitioners } from "kafkajs"
import { missingTopics, TopicsMissing } from "./ensureTopics.ts"
import { prepareInteraction } from "./interactionRecord.ts"
import { makeKafka } from "./kafkaClient.ts"
import { makeLingeringSender } from "./lingeringSender.ts"
import { topicNamesConfig } from "./topics.ts"

export class ProducerStartFailed extends Schema.TaggedError<ProducerStartFailed>()("ProducerStartFailed", {
  brokers: Schema.Array(Schema.String),
  reason: Schema.String
}) {
  override get message() {
    return `cannot start the interaction producer (Kafka at ${this.brokers.join(",")}): ${this.reason}`
  }
}

export interface InteractionProducerOptions {
  /** bootstrap brokers, `host:port` */
  readonly brokers: ReadonlyArray<string>
  /** names this producer in broker logs and quotas (default `xpscore-producer`) */
  readonly clientId?: string
  /** default: the interactions topic of `XPSCORE_TOPIC_PREFIX` (`xp.interactions`) */
  readonly topic?: string
  /** how long an event waits for others to share its request (default 5 ms) */
  readonly lingerMs?: number
  /** most events per request (default 1000) */
  readonly maxBatchRecords?: number
  /** most bytes per request (default 900 KiB, below the broker's 1 MiB message.max.bytes) */
  readonly maxBatchBytes?: number
  /** the versions the events are checked against (default: the current catalogue) */
  readonly registry?: EventRegistry<XpEvent>
  /** kafkajs' own logs: into Effect logging with these services, or silenced (default) */
  readonly logs?: Context.Context<never> | "silent"
}

export type Validation =
  | { readonly ok: true; readonly event: XpEvent }
  | { readonly ok: false; readonly error: EventRejected }

/** The producer SDK for services that do not use Effect. */
export interface InteractionProducerClient {
  readonly topic: string
  /** checks an event without sending it */
  readonly validate: (event: unknown) => Validation
  /**
   * Validates and sends one event (an object, JSON text or UTF-8 bytes).
   * Resolves once the broker acknowledged it; rejects with `EventRejected`
   * (naming the field and the rule; nothing was sent) or `ProduceFailed`.
   */
  readonly send: (event: unknown) => Promise<void>
  /** sends what is buffered now; resolves when every earlier send has settled */
  readonly flush: () => Promise<void>
  /** flushes and disconnects */
  readonly close: () => Promise<void>
}

const defaultTopic = () =>
  Effect.runSync(
    Effect.gen(function* () {
      return (yield* topicNamesConfig).interactions
    })
  )

/**
 * Connects an idempotent kafkajs producer (acks = all, one request in flight,
 * Java-compatible murmur2 partitioning so that every producer of a customer
 * picks the same partition) to an existing interactions topic.
 *
 * ```ts
 * const producer = await createInteractionProducer({ brokers: ["127.0.0.1:19092"], clientId: "checkout" })
 * await producer.send({ specversion: "1.0", id: "order-1841-delivered", source: "checkout",
 *   type: "xp.expectation.v1", subject: "customer-42", time: new Date().toISOString(),
 *   data: { dimension: "delivery-speed", expected: 0.6, actual: 0.9 } })
 * await producer.close()
 * ```
 */
export const createInteractionProducer = async (
  options: InteractionProducerOptions
): Promise<InteractionProducerClient> => {
  const registry = options.registry ?? currentRegistry
  const topic = options.topic ?? defaultTopic()
  const kafka = makeKafka({
    clientId: options.clientId ?? "xpscore-producer",
    brokers: options.brokers,
    logs: options.logs ?? "silent"
  })
  const startFailed = (cause: unknown) =>
    new ProducerStartFailed({
      brokers: [...options.brokers],
      reason: cause instanceof Error ? cause.message : String(cause)
    })
  const missing = await missingTopics(kafka, [topic]).catch((cause: unknown) => {
    throw startFailed(cause)
  })
  if (missing.length > 0) throw new TopicsMissing({ topics: missing })
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner
  })
  await producer.connect().catch((cause: unknown) => {
    throw startFailed(cause)
  })
  const sender = makeLingeringSender(producer, {
    topic,
    lingerMs: options.lingerMs ?? 5,
    maxBatchRecords: options.maxBatchRecords ?? 1000,
    maxBatchBytes: options.maxBatchBytes ?? 900 * 1024
  })
  let closing: Promise<void> | undefined

  return {
    topic,
    validate: (event) => {
      const prepared = prepareInteraction(registry, event)
      return Result.isSuccess(prepared)
        ? { ok: true, event: prepared.success.event }
        : { ok: false, error: prepared.failure }
    },
    send: (event) => {
      const prepared = prepareInteraction(registry, event)
      if (Result.isFailure(prepared)) return Promise.reject(prepared.failure)
      const { key, value, headers } = prepared.success.record
      const bytes = (typeof value === "string" ? Buffer.byteLength(value) : value.byteLength) + Buffer.byteLength(key)
      return sender.send(
        { key, value: typeof value === "string" ? value : Buffer.from(value), headers: { ...headers } },
        bytes
      )
    },
    flush: sender.flush,
    close: () => {
      closing ??= sender.close().then(() => producer.disconnect())
      return closing
    }
  }
}
