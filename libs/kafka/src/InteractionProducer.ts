import { kafkaBrokersConfig } from "@xpscore/config"
import { currentRegistry, type EventRegistry, EventRejected, type XpEvent } from "@xpscore/events"
import { Context, Effect, Layer, Result } from "effect"
import { createInteractionProducer, ProducerStartFailed } from "./createInteractionProducer.ts"
import { TopicsMissing } from "./ensureTopics.ts"
import { prepareInteraction } from "./interactionRecord.ts"
import { ProduceFailed } from "./lingeringSender.ts"
import { topicNamesConfig } from "./topics.ts"

export interface InteractionProducerSettings {
  readonly clientId?: string
  readonly topic?: string
  readonly lingerMs?: number
  readonly maxBatchRecords?: number
  readonly registry?: EventRegistry<XpEvent>
}

/**
 * The producer SDK as an Effect service: events are validated exactly as the
 * scorer decodes them (an invalid one fails with `EventRejected` and is not
 * sent), batched with a short linger, keyed by customer id and written with
 * kafkajs' idempotent producer. The layer connects on build and flushes and
 * disconnects when its scope closes.
 */
export class InteractionProducer extends Context.Service<
  InteractionProducer,
  {
    readonly topic: string
    /** checks an event without sending it */
    readonly validate: (event: unknown) => Result.Result<XpEvent, EventRejected>
    /** validates and sends; succeeds once the broker acknowledged the event */
    readonly send: (event: unknown) => Effect.Effect<void, EventRejected | ProduceFailed>
    /** sends what is buffered now and waits for every earlier send */
    readonly flush: Effect.Effect<void>
  }
>()("@xpscore/kafka/InteractionProducer") {
  /** Brokers from `KAFKA_BROKERS`, topic from `XPSCORE_TOPIC_PREFIX` unless `settings` say otherwise. */
  static readonly layerWith = (settings: InteractionProducerSettings = {}) =>
    Layer.effect(
      InteractionProducer,
      Effect.gen(function* () {
        const brokers = yield* kafkaBrokersConfig
        const topic = settings.topic ?? (yield* topicNamesConfig).interactions
        const registry = settings.registry ?? currentRegistry
        const logs = yield* Effect.context<never>()
        const client = yield* Effect.acquireRelease(
          Effect.tryPromise({
            try: () =>
              createInteractionProducer({
                brokers,
                topic,
                registry,
                logs,
                ...(settings.clientId === undefined ? {} : { clientId: settings.clientId }),
                ...(settings.lingerMs === undefined ? {} : { lingerMs: settings.lingerMs }),
                ...(settings.maxBatchRecords === undefined ? {} : { maxBatchRecords: settings.maxBatchRecords })
              }),
            catch: (cause) =>
              cause instanceof TopicsMissing || cause instanceof ProducerStartFailed
                ? cause
                : new ProducerStartFailed({ brokers: [...brokers], reason: String(cause) })
          }),
          (client) => Effect.promise(() => client.close()).pipe(Effect.ignore)
        )
        const validate = (event: unknown) =>
          Result.map(prepareInteraction(registry, event), (prepared) => prepared.event)
        const send = (event: unknown) =>
          Effect.tryPromise({
            try: () => client.send(event),
            catch: (cause) =>
              cause instanceof EventRejected || cause instanceof ProduceFailed
                ? cause
                : new ProduceFailed({ topic, records: 1, reason: String(cause) })
          })
        return InteractionProducer.of({ topic, validate, send, flush: Effect.promise(() => client.flush()) })
      })
    )

  static readonly layer = InteractionProducer.layerWith()
}
