import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { ClickHouse, schemaTables, sqlQualified } from "@xpscore/clickhouse"
import { type ClickHouseTarget, clickhouseHttpUrl, kafkaBootstrap, localEndpointsConfig } from "@xpscore/config"
import type { ScoreRecord } from "@xpscore/events"
import { ensureTopics, makeKafka, topicNames, topicSpecs } from "@xpscore/kafka"
import { ConfigProvider, Effect, Fiber, Layer, ManagedRuntime, Redacted, References } from "effect"
import { runProjector } from "../src/Projector.ts"

/**
 * Score records per second through the projector: Kafka (read_committed,
 * batches) into ClickHouse (one INSERT per batch, materialized views, seq
 * marks), from a new group at the start of a filled topic until every offset
 * is committed. Not a test: it prints figures.
 *
 *   node services/projector/bench/projectorBenchmark.ts [server|embedded] [records] [customers]
 *
 * Server mode uses CLICKHOUSE_URL or the local server; Kafka is KAFKA_BROKERS or the local broker.
 */
const mode = (process.argv[2] ?? "embedded") as "server" | "embedded"
const total = Number(process.argv[3] ?? 100_000)
const customers = Number(process.argv[4] ?? 5_000)
const batchRows = process.env.XPSCORE_PROJECTOR_BATCH_ROWS ?? "5000"

const local = Effect.runSync(
  Effect.gen(function* () {
    return yield* localEndpointsConfig
  })
)
const brokers = (process.env.KAFKA_BROKERS ?? kafkaBootstrap(local)).split(",")
const suffix = Math.random().toString(36).slice(2, 8)
const database = `bench_${suffix}`
const target: ClickHouseTarget =
  mode === "server"
    ? {
        mode,
        url: process.env.CLICKHOUSE_URL ?? clickhouseHttpUrl(local),
        username: "default",
        password: Redacted.make(""),
        database
      }
    : { mode, path: fs.mkdtempSync(path.join(os.tmpdir(), "xpscore-bench-")), database }

const formula = {
  halfLifePosMs: 30 * 86_400_000,
  halfLifeNegMs: 60 * 86_400_000,
  halfLifeEndPosMs: 14 * 86_400_000,
  neutralWeight: 1,
  weightAverage: 0.5,
  weightEnd: 0.3,
  weightPeak: 0.2,
  gain: 1.2
}

/** Plausible records: what the projector does with them does not depend on the values. */
const records = (): Array<ScoreRecord> => {
  const seq = new Map<number, number>()
  return Array.from({ length: total }, (_, i) => {
    const c = (i * 7919) % customers
    const n = (seq.get(c) ?? 0) + 1
    seq.set(c, n)
    const t = Date.UTC(2024, 0, 1) + i * 60_000
    const v = ((i % 13) - 6) / 6
    return {
      customerId: `customer-${c}`,
      seq: n,
      eventId: `evt-${i}`,
      eventSource: ["checkout", "support-desk", "delivery"][i % 3]!,
      eventType: "xp.touchpoint.v1",
      eventTimeMs: t,
      channel: ["web", "app", "phone"][i % 3]!,
      segment: ["consumer", "smb"][i % 2]!,
      score: 50 + 40 * v,
      previousScore: 50,
      index: v,
      impression: v,
      recovery: i % 50 === 0 ? "paradox" : null,
      flags: { late: false, duplicate: false, orphanResolution: false },
      components: {
        tRefMs: t,
        sPos: Math.max(v, 0),
        sNeg: Math.min(v, 0),
        w: 1,
        pPos: 0.5,
        pNeg: -0.5,
        lastTMs: t,
        lastV: v
      },
      formula,
      modelVersion: "m1-bench"
    }
  })
}

const main = async () => {
  const kafka = makeKafka({ clientId: "projector-bench", brokers })
  const names = topicNames(`bench${suffix}.`)
  await Effect.runPromise(ensureTopics(kafka, topicSpecs({ names, partitions: 6, replicationFactor: 1 })))
  const producer = kafka.producer({ transactionalId: `bench-${suffix}`, idempotent: true, maxInFlightRequests: 1 })
  await producer.connect()
  const all = records()
  for (let i = 0; i < all.length; i += 2_000) {
    const tx = await producer.transaction()
    await tx.send({
      topic: names.scores,
      messages: all.slice(i, i + 2_000).map((r) => ({ key: r.customerId, value: JSON.stringify(r) }))
    })
    await tx.commit()
  }
  await producer.disconnect()

  const runtime = ManagedRuntime.make(ClickHouse.layerFor(target))
  const env = {
    ...(process.env as Record<string, string>),
    KAFKA_BROKERS: brokers.join(","),
    XPSCORE_TOPIC_PREFIX: `bench${suffix}.`,
    XPSCORE_PROJECTOR_GROUP_ID: `bench-${suffix}`,
    XPSCORE_PROJECTOR_HTTP_PORT: "0",
    XPSCORE_PROJECTOR_BATCH_ROWS: batchRows,
    XPSCORE_PROJECTOR_MAX_BUFFERED_ROWS: String(Number(batchRows) * 4)
  }
  const admin = kafka.admin()
  await admin.connect()
  const started = performance.now()
  const fiber = runtime.runFork(
    Effect.scoped(runProjector).pipe(
      Effect.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env }))),
      Effect.provide(Layer.succeed(References.MinimumLogLevel, "Error"))
    )
  )
  for (;;) {
    const [offsets] = await admin.fetchOffsets({ groupId: `bench-${suffix}`, topics: [names.scores] })
    const committed = (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)
    const end = (await admin.fetchTopicOffsets(names.scores)).reduce((sum, p) => sum + Number(p.high), 0)
    if (committed === end) break
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  const seconds = (performance.now() - started) / 1000
  await Effect.runPromise(Fiber.interrupt(fiber))
  const [row] = await runtime.runPromise(
    Effect.gen(function* () {
      return yield* (yield* ClickHouse).query<{ n: number }>(
        `SELECT count() AS n FROM ${sqlQualified(database, schemaTables.scoreHistory)}`
      )
    })
  )
  if (mode === "server") {
    await runtime.runPromise(
      Effect.gen(function* () {
        yield* (yield* ClickHouse).command(`DROP DATABASE ${database}`)
      })
    )
  }
  await runtime.dispose()
  await admin.deleteTopics({ topics: [names.scores, names.interactions, names.scorerState, names.deadLetters] })
  await admin.disconnect()
  if (target.mode === "embedded") fs.rmSync(target.path, { recursive: true, force: true })
  console.log(
    `projector into ${mode === "server" ? "the ClickHouse server" : "embedded ClickHouse"}: ${row?.n} of ${total} records, ` +
      `${customers} customers, batches of ${batchRows}, in ${seconds.toFixed(2)} s ` +
      `(start-up, migration and group join included): ${Math.round(total / seconds).toLocaleString("en")} records/s`
  )
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
