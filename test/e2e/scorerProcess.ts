import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { ScoreRecord } from "@xpscore/events"
import type { XpEventWire } from "@xpscore/events/testing"
import { ensureTopics, makeKafka, readToEnd, type TopicNames, topicNames, topicSpecs } from "@xpscore/kafka"
import { Effect } from "effect"
import type { Admin, Kafka, KafkaMessage } from "kafkajs"
import { temporaryFolder, testKafkaBrokers, uniqueSuffix } from "../harness/index.ts"

/**
 * Real scorer processes (`./xpscore run scorer`) for the cross-process
 * suites, each run on its own topic prefix, with what the tests need around
 * them: publishing, waiting, reading the topics back, the offline reference.
 */
const repoRoot = fileURLToPath(new URL("../../", import.meta.url))

export const testKafka = (): Kafka => makeKafka({ clientId: "scorer-e2e", brokers: testKafkaBrokers() })

/** Fresh topics, created as the scorer creates them (co-partitioned changelog). */
export const freshTopics = async (kafka: Kafka, partitions: number): Promise<TopicNames> => {
  const names = topicNames(`scorer-${uniqueSuffix()}.`)
  await Effect.runPromise(ensureTopics(kafka, topicSpecs({ names, partitions, replicationFactor: 1 })))
  return names
}

export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()))
    })
  })

/** The services `./xpscore run` starts. */
export type XpscoreService = "scorer" | "projector"

/** A running `./xpscore run <service>` (the node process itself: the script execs it, so signals reach it). */
export interface ServiceProcess {
  readonly service: XpscoreService
  readonly port: number
  readonly child: ChildProcess
  /** the JSON log lines written so far */
  readonly logs: () => ReadonlyArray<{
    readonly message: unknown
    readonly timestamp: string
    readonly annotations?: Record<string, unknown>
  }>
  readonly output: () => string
  readonly exited: Promise<number | null>
  readonly get: (path: string) => Promise<{ status: number; body: string }>
  /** SIGTERM, then the exit code */
  readonly stop: () => Promise<number | null>
  readonly kill: () => Promise<number | null>
}

export type ScorerProcess = ServiceProcess

/** Quick failure detection and rebalancing, so that a test does not wait out production timeouts. */
const fastGroupSettings = {
  XPSCORE_SCORER_SESSION_TIMEOUT_MS: "6000",
  XPSCORE_SCORER_HEARTBEAT_INTERVAL_MS: "500",
  XPSCORE_SCORER_REBALANCE_TIMEOUT_MS: "10000",
  XPSCORE_SCORER_FETCH_MAX_WAIT_MS: "200",
  XPSCORE_SCORER_RETRY_BASE_MS: "100",
  XPSCORE_SCORER_RETRY_MAX_MS: "2000"
}

export const startScorer = (topics: TopicNames, env: Record<string, string> = {}): Promise<ScorerProcess> =>
  startService("scorer", topics, { ...fastGroupSettings, ...env })

/** `./xpscore run <service>` on the topics' prefix and the test broker, its health endpoint on a free port. */
export const startService = async (
  service: XpscoreService,
  topics: TopicNames,
  env: Record<string, string> = {}
): Promise<ServiceProcess> => {
  const port = await freePort()
  const http = service === "scorer" ? "XPSCORE_SCORER_HTTP" : "XPSCORE_PROJECTOR_HTTP"
  const child = spawn("./xpscore", ["run", service], {
    cwd: repoRoot,
    env: {
      ...process.env,
      KAFKA_BROKERS: testKafkaBrokers().join(","),
      XPSCORE_TOPIC_PREFIX: topics.interactions.replace(/interactions$/, ""),
      [`${http}_PORT`]: String(port),
      [`${http}_HOST`]: "127.0.0.1",
      ...env
    },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const chunks: Array<string> = []
  child.stdout?.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")))
  child.stderr?.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  const output = () => chunks.join("")
  const logs = () =>
    output()
      .split("\n")
      .filter((line) => line.startsWith("{") && line.endsWith("}"))
      .map((line) => JSON.parse(line))
  const get = async (path: string) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`)
    return { status: response.status, body: await response.text() }
  }
  return {
    service,
    port,
    child,
    logs,
    output,
    exited,
    get,
    stop: () => {
      child.kill("SIGTERM")
      return exited
    },
    kill: () => {
      child.kill("SIGKILL")
      return exited
    }
  }
}

export const eventually = async (check: () => Promise<boolean>, what: string, timeoutMs = 60_000) => {
  const started = Date.now()
  while (Date.now() - started < timeoutMs) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
}

/** /readyz answers 200; the times of the answers before it (503, or no answer yet) are returned. */
export const waitReady = async (scorer: ScorerProcess, timeoutMs = 60_000) => {
  const notReady: Array<{ atMs: number; status: number | "refused" }> = []
  await eventually(
    async () => {
      if (scorer.child.exitCode !== null) throw new Error(`the ${scorer.service} exited:\n${scorer.output()}`)
      try {
        const { status } = await scorer.get("/readyz")
        if (status === 200) return true
        notReady.push({ atMs: Date.now(), status })
      } catch {
        notReady.push({ atMs: Date.now(), status: "refused" })
      }
      return false
    },
    `the ${scorer.service} to be ready`,
    timeoutMs
  )
  return { readyAtMs: Date.now(), notReady }
}

/** Publishes records as producers do (murmur2 of the key picks the partition). */
export const publish = async (
  kafka: Kafka,
  topic: string,
  records: ReadonlyArray<{ readonly key: string | null; readonly value: string | Uint8Array }>
) => {
  const producer = kafka.producer()
  await producer.connect()
  for (let i = 0; i < records.length; i += 2_000) {
    await producer.send({
      topic,
      messages: records.slice(i, i + 2_000).map(({ key, value }) => ({
        key,
        value: typeof value === "string" ? value : Buffer.from(value),
        headers: { "content-type": "application/cloudevents+json" }
      }))
    })
  }
  await producer.disconnect()
}

export const keyed = (events: ReadonlyArray<XpEventWire>) =>
  events.map((event) => ({ key: event.subject, value: JSON.stringify(event) }))

export const committedTotal = async (admin: Admin, groupId: string, topic: string) => {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
  return (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)
}

export const endTotal = async (admin: Admin, topic: string) =>
  (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0)

/** The scorer's consumer group by default: one per topic prefix. */
export const scorerGroup = (topics: TopicNames) => topics.interactions.replace(/interactions$/, "scorer")

/** Waits until the group committed every record of the interactions topic. */
export const waitCaughtUp = async (
  admin: Admin,
  topics: TopicNames,
  groupId = scorerGroup(topics),
  timeoutMs = 120_000
) => {
  const end = await endTotal(admin, topics.interactions)
  await eventually(
    async () => (await committedTotal(admin, groupId, topics.interactions)) >= end,
    `group ${groupId} to commit all ${end} records of ${topics.interactions}`,
    timeoutMs
  )
}

/** Every committed record of a topic, in partition and offset order. */
export const readAll = async (kafka: Kafka, topic: string) => {
  const messages: Array<KafkaMessage & { readonly partition: number }> = []
  await Effect.runPromise(
    readToEnd({
      kafka,
      topic,
      groupIdPrefix: "scorer-e2e",
      stallTimeoutMs: 30_000,
      onMessages: (partition, batch) => {
        for (const message of batch) messages.push({ ...message, partition })
      }
    })
  )
  return messages
}

export const readScores = async (kafka: Kafka, topics: TopicNames): Promise<Array<ScoreRecord>> =>
  (await readAll(kafka, topics.scores)).map((message) => JSON.parse(message.value!.toString("utf8")) as ScoreRecord)

/** Each customer's records in the order they were appended. */
export const recordsByCustomer = (records: ReadonlyArray<ScoreRecord>) => {
  const byCustomer = new Map<string, Array<ScoreRecord>>()
  for (const record of records) {
    const list = byCustomer.get(record.customerId) ?? []
    list.push(record)
    byCustomer.set(record.customerId, list)
  }
  return byCustomer
}

/**
 * The offline reference: `xpscore score` on the same events (as NDJSON, in
 * the order given), each customer scored at its latest event time.
 */
export const xpscoreScore = (events: ReadonlyArray<XpEventWire>) => {
  const file = path.join(temporaryFolder("scorer-e2e"), "events.ndjson")
  fs.writeFileSync(file, events.map((event) => JSON.stringify(event)).join("\n"))
  const result = spawnSync("./xpscore", ["score", file], {
    cwd: repoRoot,
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024
  })
  if (result.status !== 0) throw new Error(`xpscore score failed (${result.status}):\n${result.stderr}`)
  return new Map(
    result.stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const { customerId, score } = JSON.parse(line) as { customerId: string; score: number }
        return [customerId, score] as const
      })
  )
}

/** Each customer's number of events (re-sent duplicates included: each gets a record). */
export const eventsPerCustomer = (events: ReadonlyArray<XpEventWire>) => {
  const counts = new Map<string, number>()
  for (const event of events) counts.set(event.subject, (counts.get(event.subject) ?? 0) + 1)
  return counts
}

/** The metric samples of a Prometheus text exposition, by series (`name{labels}`). */
export const metricSamples = (text: string) =>
  new Map(
    text
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => {
        const at = line.lastIndexOf(" ")
        return [line.slice(0, at), Number(line.slice(at + 1))] as const
      })
  )
