import { type ChildProcess, spawn } from "node:child_process"
import * as path from "node:path"
import type { ScoreRecord } from "@xpscore/events"
import { repoRoot } from "@xpscore/infra"
import { ensureTopics, makeKafka, readToEnd, type TopicNames, topicNames, topicSpecs } from "@xpscore/kafka"
import { Effect } from "effect"
import type { Admin, Kafka, KafkaMessage } from "kafkajs"
import { afterAll, beforeAll } from "vitest"
import { temporaryFolder, testInfra, testKafkaBrokers, uniqueSuffix } from "../../../test/harness/index.ts"
import { xpscore } from "./cliProcess.ts"

/**
 * A small deployment of the test's own for the operator commands: fresh
 * topics and a database on the test infrastructure, the simulator's records
 * published through `xpscore simulate`, the services run as `xpscore run`
 * processes, and the topics read back.
 */
export interface Deployment {
  readonly prefix: string
  readonly topics: TopicNames
  readonly database: string
  readonly scorerGroup: string
  readonly projectorGroup: string
  /** what `./xpscore` needs to run on this deployment (server ClickHouse) */
  readonly env: Record<string, string>
}

/** Quick group membership and batches, so tests do not wait out production timeouts. */
const quickSettings = {
  XPSCORE_SCORER_SESSION_TIMEOUT_MS: "6000",
  XPSCORE_SCORER_HEARTBEAT_INTERVAL_MS: "500",
  XPSCORE_SCORER_REBALANCE_TIMEOUT_MS: "10000",
  XPSCORE_SCORER_FETCH_MAX_WAIT_MS: "200",
  XPSCORE_SCORER_RETRY_BASE_MS: "100",
  XPSCORE_SCORER_RETRY_MAX_MS: "2000",
  XPSCORE_PROJECTOR_BATCH_MS: "200",
  XPSCORE_PROJECTOR_RETRY_BASE_MS: "100",
  XPSCORE_PROJECTOR_RETRY_MAX_MS: "1000",
  XPSCORE_SCORER_HTTP_HOST: "127.0.0.1",
  XPSCORE_SCORER_HTTP_PORT: "0",
  XPSCORE_PROJECTOR_HTTP_HOST: "127.0.0.1",
  XPSCORE_PROJECTOR_HTTP_PORT: "0"
}

export const testKafka = (clientId: string): Kafka => makeKafka({ clientId, brokers: testKafkaBrokers() })

/** A client and an admin for a whole test file: the admin connected before its tests, disconnected after them. */
export const suiteKafka = (clientId: string): { readonly kafka: Kafka; readonly admin: Admin } => {
  const kafka = testKafka(clientId)
  const admin = kafka.admin()
  beforeAll(() => admin.connect())
  afterAll(() => admin.disconnect())
  return { kafka, admin }
}

/** Fresh topics (3 partitions) and names for a database and groups, nothing created in ClickHouse yet. */
export const freshDeployment = async (kafka: Kafka, name: string): Promise<Deployment> => {
  const suffix = uniqueSuffix()
  const prefix = `${name}-${suffix}.`
  const topics = topicNames(prefix)
  await Effect.runPromise(ensureTopics(kafka, topicSpecs({ names: topics, partitions: 3, replicationFactor: 1 })))
  const database = `${name.replace(/[^A-Za-z0-9_]/g, "_")}_${suffix}`
  return {
    prefix,
    topics,
    database,
    scorerGroup: `${prefix}scorer`,
    projectorGroup: `${prefix}projector`,
    env: {
      KAFKA_BROKERS: testKafkaBrokers().join(","),
      CLICKHOUSE_URL: testInfra().clickhouseUrl,
      XPSCORE_CLICKHOUSE_DATABASE: database,
      XPSCORE_TOPIC_PREFIX: prefix,
      XPSCORE_PROJECTOR_GROUP_ID: `${prefix}projector`,
      XPSCORE_HOME: temporaryFolder(`${name}-home`),
      ...quickSettings
    }
  }
}

export const simulationFlags = (customers: number, days: number, seed: number) => [
  "--customers",
  String(customers),
  "--days",
  String(days),
  "--seed",
  String(seed),
  "--start",
  "2025-01-01"
]

/** Publishes a simulation to the deployment's interactions topic with `xpscore simulate`. */
export const simulate = async (deployment: Deployment, flags: ReadonlyArray<string>) => {
  const run = await xpscore(["simulate", ...flags, "--json"], deployment.env)
  if (run.code !== 0) throw new Error(`xpscore simulate failed (${run.code}):\n${run.stderr}`)
  return JSON.parse(run.stdout) as { records: number; events: { total: number }; invalid: { total: number } }
}

export interface ServiceProcess {
  readonly child: ChildProcess
  readonly output: () => string
  readonly exited: Promise<number | null>
  /** SIGTERM, then the exit status */
  readonly stop: () => Promise<number | null>
}

/** `./xpscore run <service>` on the deployment, as a process. */
export const startService = (
  service: "scorer" | "projector" | "all",
  deployment: Deployment,
  env: Record<string, string> = {}
): ServiceProcess => {
  const child = spawn(path.join(repoRoot, "xpscore"), ["run", service], {
    cwd: repoRoot,
    env: { ...process.env, ...deployment.env, ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  const chunks: Array<string> = []
  child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")))
  child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk.toString("utf8")))
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)))
  return {
    child,
    output: () => chunks.join(""),
    exited,
    stop: () => {
      if (child.exitCode === null) child.kill("SIGTERM")
      return exited
    }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The group's committed offsets on the topics, by `topic:partition`. */
export const committedOffsets = async (admin: Admin, groupId: string, topics: ReadonlyArray<string>) => {
  const offsets = new Map<string, number>()
  for (const topic of await admin.fetchOffsets({ groupId, topics: [...topics] })) {
    for (const p of topic.partitions) offsets.set(`${topic.topic}:${p.partition}`, Number(p.offset))
  }
  return offsets
}

/** The end offsets of the topics, by `topic:partition`. */
export const endOffsets = async (admin: Admin, topics: ReadonlyArray<string>) => {
  const offsets = new Map<string, number>()
  for (const topic of topics) {
    for (const p of await admin.fetchTopicOffsets(topic)) offsets.set(`${topic}:${p.partition}`, Number(p.high))
  }
  return offsets
}

/** Waits until the group has committed every partition of the topics up to its end; fails if the process exits. */
export const waitCaughtUp = async (
  admin: Admin,
  groupId: string,
  topics: ReadonlyArray<string>,
  service?: ServiceProcess,
  timeoutMs = 120_000
) => {
  const started = Date.now()
  for (;;) {
    if (service !== undefined && service.child.exitCode !== null) {
      throw new Error(`the service exited (${service.child.exitCode}):\n${service.output()}`)
    }
    const ends = await endOffsets(admin, topics)
    const committed = await committedOffsets(admin, groupId, topics)
    if ([...ends].every(([key, end]) => (committed.get(key) ?? -1) >= end)) return
    if (Date.now() - started > timeoutMs) throw new Error(`group ${groupId} did not catch up with ${topics.join(", ")}`)
    await sleep(200)
  }
}

/** Every committed record of a topic, in partition and offset order. */
export const readTopic = async (kafka: Kafka, topic: string) => {
  const messages: Array<KafkaMessage & { readonly partition: number }> = []
  await Effect.runPromise(
    readToEnd({
      kafka,
      topic,
      groupIdPrefix: "cli-test",
      stallTimeoutMs: 30_000,
      onMessages: (partition, batch) => {
        for (const message of batch) messages.push({ ...message, partition })
      }
    })
  )
  return messages
}

export const readScores = async (kafka: Kafka, topic: string): Promise<Array<ScoreRecord>> =>
  (await readTopic(kafka, topic)).map((message) => JSON.parse(message.value!.toString("utf8")) as ScoreRecord)

/** A file path in a temporary folder of the test's own. */
export const scratchFile = (name: string) => path.join(temporaryFolder("cli"), name)
