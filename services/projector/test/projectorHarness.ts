import * as net from "node:net"
import { ClickHouse, type Row, sqlIdentifier } from "@xpscore/clickhouse"
import type { ClickHouseTarget } from "@xpscore/config"
import type { ScoreRecord } from "@xpscore/events"
import type { XpEventWire } from "@xpscore/events/testing"
import { ensureTopics, makeKafka, type TopicNames, topicNames, topicSpecs } from "@xpscore/kafka"
import { ConfigProvider, Effect, Fiber, Layer, ManagedRuntime, References } from "effect"
import type { Admin, Kafka } from "kafkajs"
import { testKafkaBrokers, uniqueSuffix } from "../../../test/harness/index.ts"
import { runProjector } from "../src/Projector.ts"

/**
 * One ClickHouse connection per test file and mode, shared by the projector
 * under test and the test's own queries (chDB allows one engine per process).
 */
export type ClickHouseRuntime = ManagedRuntime.ManagedRuntime<ClickHouse, unknown>

export const clickhouseRuntime = (target: ClickHouseTarget): ClickHouseRuntime =>
  ManagedRuntime.make(ClickHouse.layerFor(target))

export const query = <A extends Row = Row>(runtime: ClickHouseRuntime, sql: string): Promise<ReadonlyArray<A>> =>
  runtime.runPromise(
    Effect.gen(function* () {
      return yield* (yield* ClickHouse).query<A>(sql)
    })
  )

export const command = (runtime: ClickHouseRuntime, sql: string): Promise<void> =>
  runtime.runPromise(
    Effect.gen(function* () {
      yield* (yield* ClickHouse).command(sql)
    })
  )

/** Drops a test database from the shared server (the embedded engine's folder is temporary anyway). */
export const dropIfServer = async (runtime: ClickHouseRuntime, target: ClickHouseTarget) => {
  if (target.mode === "server") await command(runtime, `DROP DATABASE IF EXISTS ${sqlIdentifier(target.database)}`)
}

/** A fresh set of topics (own prefix) on the test broker, created as the services create them. */
export const freshTopics = async (kafka: Kafka, partitions = 3): Promise<TopicNames> => {
  const names = topicNames(`t${uniqueSuffix()}.`)
  await Effect.runPromise(ensureTopics(kafka, topicSpecs({ names, partitions, replicationFactor: 1 })))
  return names
}

export const testKafka = (): Kafka => makeKafka({ clientId: "projector-test", brokers: testKafkaBrokers() })

/** Publishes interactions as producers do: key = customer id, value = the CloudEvent JSON. */
export const publishInteractions = async (kafka: Kafka, topic: string, events: ReadonlyArray<XpEventWire>) => {
  const producer = kafka.producer()
  await producer.connect()
  await producer.send({
    topic,
    messages: events.map((event) => ({ key: event.subject, value: JSON.stringify(event) }))
  })
  await producer.disconnect()
}

/** Publishes score records as the scorer does: in Kafka transactions, key = customer id, value = JSON. */
export const publishScores = async (kafka: Kafka, topic: string, records: ReadonlyArray<ScoreRecord>) => {
  const producer = kafka.producer({
    transactionalId: `scores-${uniqueSuffix()}`,
    idempotent: true,
    maxInFlightRequests: 1
  })
  await producer.connect()
  for (let i = 0; i < records.length; i += 50) {
    const transaction = await producer.transaction()
    await transaction.send({
      topic,
      messages: records.slice(i, i + 50).map((record) => ({ key: record.customerId, value: JSON.stringify(record) }))
    })
    await transaction.commit()
  }
  await producer.disconnect()
}

export interface RunningProjector {
  /** interrupts it as SIGTERM does: drain, commit, leave the group */
  readonly stop: () => Promise<void>
}

/** Runs the projector in this process against `runtime`'s ClickHouse, with these settings over the environment. */
export const startProjector = (runtime: ClickHouseRuntime, env: Record<string, string>): RunningProjector => {
  const settings = ConfigProvider.layer(
    ConfigProvider.fromEnv({
      env: {
        ...(process.env as Record<string, string>),
        KAFKA_BROKERS: testKafkaBrokers().join(","),
        XPSCORE_PROJECTOR_HTTP_PORT: "0",
        XPSCORE_PROJECTOR_HTTP_HOST: "127.0.0.1",
        XPSCORE_PROJECTOR_BATCH_MS: "200",
        XPSCORE_PROJECTOR_RETRY_BASE_MS: "100",
        XPSCORE_PROJECTOR_RETRY_MAX_MS: "1000",
        ...env
      }
    })
  )
  const quiet = Layer.succeed(References.MinimumLogLevel, "Error")
  const fiber = runtime.runFork(Effect.scoped(runProjector).pipe(Effect.provide(Layer.merge(settings, quiet))))
  return { stop: () => Effect.runPromise(Fiber.interrupt(fiber)).then(() => undefined) }
}

const committedTotal = async (admin: Admin, groupId: string, topic: string) => {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
  return (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)
}

const endTotal = async (admin: Admin, topic: string) =>
  (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0)

/** Waits until the group has committed every partition of `topics` up to its end. */
export const waitUntilCaughtUp = async (
  admin: Admin,
  groupId: string,
  topics: ReadonlyArray<string>,
  timeoutMs = 120_000
) => {
  const started = Date.now()
  for (;;) {
    let behind = 0
    for (const topic of topics) behind += (await endTotal(admin, topic)) - (await committedTotal(admin, groupId, topic))
    if (behind === 0) return
    if (Date.now() - started > timeoutMs) throw new Error(`group ${groupId} still ${behind} records behind`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** Polls until `check` returns true. */
export const eventually = async (check: () => Promise<boolean>, what: string, timeoutMs = 60_000) => {
  const started = Date.now()
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** A port nothing listens on right now. */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()))
    })
  })

/** The UTC day of an epoch-ms time, as ClickHouse's Date prints it. */
export const utcDay = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 10)
