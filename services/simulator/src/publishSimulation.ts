import { CLOUDEVENTS_CONTENT_TYPE } from "@xpscore/events"
import { InteractionProducer, kafkaClient, ProduceFailed } from "@xpscore/kafka"
import { Clock, Effect } from "effect"
import { Partitioners, type Producer } from "kafkajs"
import type { InvalidRecord, SimulatedRecord } from "./simulatedRecord.ts"
import type { SimulationOptions } from "./simulationOptions.ts"
import { simulationRecords } from "./simulationRecords.ts"
import { type SimulationSummary, SimulationTally } from "./simulationSummary.ts"
import { TokenBucket } from "./tokenBucket.ts"

export interface PublishOptions {
  /** records per second; unset: as fast as the broker acknowledges them */
  readonly ratePerSecond?: number
  /** called after every acknowledged chunk of records */
  readonly onProgress?: (progress: PublishProgress) => void
  /** the kafkajs client id of the producer that sends the invalid records (default `xpscore-simulator`) */
  readonly clientId?: string
}

export interface PublishProgress {
  /** records acknowledged by the broker so far */
  readonly sent: number
  readonly elapsedMs: number
}

export interface PublishResult {
  readonly summary: SimulationSummary
  readonly topic: string
  readonly elapsedMs: number
  /** records per second achieved */
  readonly recordsPerSecond: number
}

/** At most this many records are in flight at once. */
const CHUNK = 5_000

const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/**
 * The producer for the records that are not valid events. It must not
 * validate (that is the point: they test the scorer's dead-letter path),
 * so it is a plain kafkajs producer, keyed and partitioned exactly like the
 * SDK (customer id, murmur2) so a broken record lands beside its
 * customer's events.
 */
const rawProducer = (clientId: string) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const kafka = yield* kafkaClient(clientId)
      const producer = kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner
      })
      yield* Effect.tryPromise({
        try: () => producer.connect(),
        catch: (cause) => new ProduceFailed({ topic: "(connect)", records: 0, reason: reasonOf(cause) })
      })
      return producer
    }),
    (producer) => Effect.promise(() => producer.disconnect()).pipe(Effect.ignore)
  )

const sendInvalid = (producer: Producer, topic: string, records: ReadonlyArray<InvalidRecord>) =>
  Effect.tryPromise({
    try: () =>
      producer.send({
        topic,
        acks: -1,
        messages: records.map((record) => ({
          key: record.customerId,
          value: Buffer.from(record.value),
          headers: { "content-type": CLOUDEVENTS_CONTENT_TYPE }
        }))
      }),
    catch: (cause) => new ProduceFailed({ topic, records: records.length, reason: reasonOf(cause) })
  })

/**
 * Publishes the simulation to the interactions topic in arrival order: valid
 * events and duplicates through the producer SDK (`InteractionProducer`:
 * validated, idempotent, keyed by customer id), invalid records around it on
 * purpose. With `ratePerSecond` a token bucket paces the sends; either way a
 * chunk is acknowledged before the next is sent, so a customer's records
 * keep their order in its partition.
 */
export const publishSimulation = Effect.fn("publishSimulation")(function* (
  options: SimulationOptions,
  publish: PublishOptions = {}
) {
  const producer = yield* InteractionProducer
  const topic = producer.topic
  const raw = yield* rawProducer(publish.clientId ?? "xpscore-simulator")
  const tally = new SimulationTally(options)
  const records = simulationRecords(options)[Symbol.iterator]()
  const startedMs = yield* Clock.currentTimeMillis
  const bucket = publish.ratePerSecond === undefined ? undefined : TokenBucket.forRate(publish.ratePerSecond, startedMs)
  let sent = 0

  for (;;) {
    let allowance = CHUNK
    if (bucket !== undefined) {
      for (;;) {
        const now = yield* Clock.currentTimeMillis
        allowance = bucket.take(CHUNK, now)
        if (allowance > 0) break
        yield* Effect.sleep(bucket.waitMs(now))
      }
    }
    const chunk: Array<SimulatedRecord> = []
    while (chunk.length < allowance) {
      const next = records.next()
      if (next.done) break
      chunk.push(next.value)
    }
    if (chunk.length === 0) break
    const valid = chunk.filter((record) => record.kind !== "invalid")
    const invalid = chunk.filter((record): record is InvalidRecord => record.kind === "invalid")
    yield* Effect.all(
      [
        Effect.forEach(valid, (record) => producer.send(record.value), { concurrency: "unbounded", discard: true }),
        invalid.length === 0 ? Effect.void : sendInvalid(raw, topic, invalid)
      ],
      { concurrency: 2, discard: true }
    )
    for (const record of chunk) tally.add(record)
    sent += chunk.length
    const now = yield* Clock.currentTimeMillis
    publish.onProgress?.({ sent, elapsedMs: now - startedMs })
  }
  yield* producer.flush
  const elapsedMs = (yield* Clock.currentTimeMillis) - startedMs
  return {
    summary: tally.summary(),
    topic,
    elapsedMs,
    recordsPerSecond: elapsedMs > 0 ? Math.round((sent * 1000) / elapsedMs) : sent
  } satisfies PublishResult
}, Effect.scoped)
