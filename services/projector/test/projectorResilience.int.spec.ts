import { type ChildProcess, spawn } from "node:child_process"
import * as net from "node:net"
import { fileURLToPath } from "node:url"
import { biViews, schemaTables, sqlQualified } from "@xpscore/clickhouse"
import type { ClickHouseTarget } from "@xpscore/config"
import type { TopicNames } from "@xpscore/kafka"
import type { Admin, Kafka } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  bothClickHouseModes,
  serverTarget,
  testInfra,
  testKafkaBrokers,
  uniqueSuffix
} from "../../../test/harness/index.ts"
import {
  type ClickHouseRuntime,
  clickhouseRuntime,
  command,
  dropIfServer,
  eventually,
  freePort,
  freshTopics,
  publishInteractions,
  publishScores,
  query,
  startProjector,
  testKafka,
  waitUntilCaughtUp
} from "./projectorHarness.ts"
import { hostileJourney } from "./scoredJourney.ts"

/*
 * What happens when ClickHouse fails under the projector: it keeps the batch,
 * pauses fetching, retries with backoff, says so in /readyz and /metrics,
 * and once ClickHouse answers again the views hold every record exactly
 * once. And SIGTERM: the last batch is written and committed, the group left.
 */

const journey = hostileJourney(99)
const half = Math.floor(journey.records.length / 2)

const getJson = async (url: string) => {
  const response = await fetch(url)
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

const metricValue = (text: string, name: string) =>
  text
    .split("\n")
    .filter((line) => line.startsWith(name))
    .reduce((sum, line) => sum + Number(line.split(" ").at(-1)), 0)

const totals = (runtime: ClickHouseRuntime, database: string) =>
  query<{ history: number; stored: number; events: number; customers: number }>(
    runtime,
    `SELECT
       (SELECT count() FROM ${sqlQualified(database, biViews.scoreHistory)}) AS history,
       (SELECT count() FROM ${sqlQualified(database, schemaTables.scoreHistory)}) AS stored,
       (SELECT sum(events) + sum(duplicates) FROM ${sqlQualified(database, biViews.dailyRollups)}) AS events,
       (SELECT count() FROM ${sqlQualified(database, biViews.currentScores)}) AS customers`
  ).then((rows) => rows[0]!)

const expectedTotals = {
  history: journey.records.length,
  stored: journey.records.length,
  events: journey.records.length,
  customers: journey.customers.length
}

let kafka: Kafka
let admin: Admin
beforeAll(async () => {
  kafka = testKafka()
  admin = kafka.admin()
  await admin.connect()
})
afterAll(() => admin?.disconnect())

describe.each(bothClickHouseModes("unused"))("the projector when ClickHouse errors (%s)", (_mode, makeTarget) => {
  let target: ClickHouseTarget
  let runtime: ClickHouseRuntime
  afterAll(async () => {
    if (runtime !== undefined) await dropIfServer(runtime, target)
    await runtime?.dispose()
  })

  it("pauses and retries the same batch, reports it in /readyz and /metrics, then writes every record once", async () => {
    target = { ...makeTarget(), database: `errors_${uniqueSuffix()}` }
    runtime = clickhouseRuntime(target)
    const topics: TopicNames = await freshTopics(kafka)
    const groupId = `projector-${uniqueSuffix()}`
    const port = await freePort()
    const base = `http://127.0.0.1:${port}`
    await publishInteractions(kafka, topics.interactions, journey.events)
    await publishScores(kafka, topics.scores, journey.records.slice(0, half))
    const projector = startProjector(runtime, {
      XPSCORE_TOPIC_PREFIX: topics.interactions.replace(/interactions$/, ""),
      XPSCORE_PROJECTOR_GROUP_ID: groupId,
      XPSCORE_PROJECTOR_HTTP_PORT: String(port),
      XPSCORE_PROJECTOR_BATCH_ROWS: "25"
    })
    try {
      await waitUntilCaughtUp(admin, groupId, [topics.scores, topics.interactions])
      expect((await getJson(`${base}/readyz`)).status).toBe(200)

      const scoreHistory = sqlQualified(target.database, schemaTables.scoreHistory)
      await command(runtime, `RENAME TABLE ${scoreHistory} TO ${sqlQualified(target.database, "score_history_away")}`)
      await publishScores(kafka, topics.scores, journey.records.slice(half))
      await eventually(async () => (await getJson(`${base}/readyz`)).status === 503, "/readyz to report failing writes")
      const ready = await getJson(`${base}/readyz`)
      expect(ready.body).toMatchObject({ joined: true, pausedFor: expect.arrayContaining(["write-failing"]) })
      expect(Number(ready.body.consecutiveFailures)).toBeGreaterThan(0)
      expect(String(ready.body.lastError)).toMatch(/score_history/)
      expect((await getJson(`${base}/healthz`)).status).toBe(200)
      await eventually(async () => {
        const metrics = await (await fetch(`${base}/metrics`)).text()
        return (
          metricValue(metrics, "xpscore_projector_write_retries_total") >= 2 &&
          metricValue(metrics, "xpscore_projector_paused") === 1
        )
      }, "retries and the paused gauge in /metrics")
      const [committed] = await admin.fetchOffsets({ groupId, topics: [topics.scores] })
      const end = (await admin.fetchTopicOffsets(topics.scores)).reduce((sum, p) => sum + Number(p.high), 0)
      expect(committed!.partitions.reduce((sum, p) => sum + Number(p.offset), 0)).toBeLessThan(end)

      await command(runtime, `RENAME TABLE ${sqlQualified(target.database, "score_history_away")} TO ${scoreHistory}`)
      await waitUntilCaughtUp(admin, groupId, [topics.scores, topics.interactions])
      await eventually(async () => (await getJson(`${base}/readyz`)).status === 200, "/readyz to recover")
      const metrics = await (await fetch(`${base}/metrics`)).text()
      expect(
        metricValue(metrics, 'xpscore_projector_rows_inserted_total{table="score_history"}')
      ).toBeGreaterThanOrEqual(journey.records.length)
      expect(metrics).toMatch(/xpscore_projector_insert_seconds_bucket/)
      expect(metricValue(metrics, "xpscore_projector_paused")).toBe(0)
    } finally {
      await projector.stop()
    }
    expect(await totals(runtime, target.database)).toEqual(expectedTotals)
  })
})

/** A TCP proxy in front of the ClickHouse server that the test can take down and bring back. */
const tcpProxy = async (targetUrl: string) => {
  const upstream = new URL(targetUrl)
  const port = await freePort()
  const sockets = new Set<net.Socket>()
  let server: net.Server | undefined
  const up = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const remote = net.connect(Number(upstream.port), upstream.hostname)
        for (const socket of [client, remote]) {
          sockets.add(socket)
          socket.on("close", () => sockets.delete(socket))
          socket.on("error", () => socket.destroy())
        }
        client.pipe(remote).pipe(client)
      })
      server.listen(port, "127.0.0.1", () => resolve())
    })
  const down = () =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy()
      server?.close(() => resolve())
    })
  await up()
  return { url: `http://127.0.0.1:${port}`, up, down }
}

describe("the projector when the ClickHouse server is down (server)", () => {
  it("waits with partitions paused and loses nothing, doubles nothing", async () => {
    const database = `outage_${uniqueSuffix()}`
    const proxy = await tcpProxy(testInfra().clickhouseUrl)
    const viaProxy: ClickHouseTarget = {
      ...(serverTarget(database) as Extract<ClickHouseTarget, { mode: "server" }>),
      url: proxy.url
    }
    const projectorRuntime = clickhouseRuntime(viaProxy)
    const direct = clickhouseRuntime(serverTarget(database))
    const topics = await freshTopics(kafka)
    const groupId = `projector-${uniqueSuffix()}`
    const port = await freePort()
    await publishInteractions(kafka, topics.interactions, journey.events)
    await publishScores(kafka, topics.scores, journey.records.slice(0, half))
    const projector = startProjector(projectorRuntime, {
      XPSCORE_TOPIC_PREFIX: topics.interactions.replace(/interactions$/, ""),
      XPSCORE_PROJECTOR_GROUP_ID: groupId,
      XPSCORE_PROJECTOR_HTTP_PORT: String(port),
      XPSCORE_PROJECTOR_BATCH_ROWS: "25"
    })
    try {
      await waitUntilCaughtUp(admin, groupId, [topics.scores, topics.interactions])
      await proxy.down()
      await publishScores(kafka, topics.scores, journey.records.slice(half))
      await eventually(
        async () => (await getJson(`http://127.0.0.1:${port}/readyz`)).status === 503,
        "/readyz to report the outage"
      )
      // a while down, with retries backing off
      await new Promise((resolve) => setTimeout(resolve, 3000))
      expect((await getJson(`http://127.0.0.1:${port}/healthz`)).status).toBe(200)
      await proxy.up()
      await waitUntilCaughtUp(admin, groupId, [topics.scores, topics.interactions])
    } finally {
      await projector.stop()
      await projectorRuntime.dispose()
      await proxy.down()
    }
    expect(await totals(direct, database)).toEqual(expectedTotals)
    await dropIfServer(direct, serverTarget(database))
    await direct.dispose()
  })
})

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url))

describe("xpscore run projector (server)", () => {
  let child: ChildProcess | undefined
  afterAll(() => {
    if (child?.exitCode === null) child.kill("SIGKILL")
  })

  // A service stopped by SIGTERM exits 0 once its finalizers (the drain) ran cleanly (services/cli serviceExit.ts).
  it("logs JSON, serves /readyz, and on SIGTERM writes and commits the last batch, leaves the group and exits", async () => {
    const database = `run_${uniqueSuffix()}`
    const topics = await freshTopics(kafka)
    const groupId = `projector-${uniqueSuffix()}`
    const port = await freePort()
    await publishInteractions(kafka, topics.interactions, journey.events)
    await publishScores(kafka, topics.scores, journey.records)
    const stdout: Array<string> = []
    child = spawn("./xpscore", ["run", "projector"], {
      cwd: repoRoot,
      env: {
        ...process.env,
        KAFKA_BROKERS: testKafkaBrokers().join(","),
        CLICKHOUSE_URL: testInfra().clickhouseUrl,
        XPSCORE_CLICKHOUSE_DATABASE: database,
        XPSCORE_TOPIC_PREFIX: topics.interactions.replace(/interactions$/, ""),
        XPSCORE_PROJECTOR_GROUP_ID: groupId,
        XPSCORE_PROJECTOR_HTTP_PORT: String(port),
        XPSCORE_PROJECTOR_HTTP_HOST: "127.0.0.1",
        // never due by size or time: only the drain at SIGTERM writes
        XPSCORE_PROJECTOR_BATCH_ROWS: "1000000",
        XPSCORE_PROJECTOR_BATCH_MS: "600000"
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk.toString("utf8")))
    const exited = new Promise<number | null>((resolve) => child!.on("exit", (code) => resolve(code)))
    await eventually(
      async () => {
        try {
          return (await getJson(`http://127.0.0.1:${port}/readyz`)).status === 200
        } catch {
          return false
        }
      },
      "the projector to be ready",
      120_000
    )
    // everything fetched and buffered, nothing written yet
    await new Promise((resolve) => setTimeout(resolve, 3000))
    const runtime = clickhouseRuntime(serverTarget(database))
    expect((await totals(runtime, database)).history).toBe(0)
    child.kill("SIGTERM")
    expect(await exited).toBe(0)
    await waitUntilCaughtUp(admin, groupId, [topics.scores, topics.interactions], 1000)
    expect(await totals(runtime, database)).toEqual(expectedTotals)
    await dropIfServer(runtime, serverTarget(database))
    await runtime.dispose()
    const group = await admin.describeGroups([groupId])
    expect(group.groups[0]?.members).toEqual([])
    const lines = stdout
      .join("")
      .split("\n")
      .filter((line) => line.trim() !== "")
    expect(lines.length).toBeGreaterThan(0)
    const logs = lines.map((line) => JSON.parse(line) as { message: unknown; logLevel: string })
    expect(logs.some((log) => JSON.stringify(log.message).includes("projector consuming"))).toBe(true)
    expect(logs.some((log) => JSON.stringify(log.message).includes("batch consumer drained"))).toBe(true)
  })
})
