import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import {
  biViews,
  ClickHouse,
  currentScoresSelect,
  sqlIdentifier,
  sqlNumber,
  sqlQualified,
  sqlString
} from "@xpscore/clickhouse"
import type { ClickHouseTarget } from "@xpscore/config"
import { currentRegistry, decodeEventOrThrow } from "@xpscore/events"
import { arbitraryJourney, type XpEventWire } from "@xpscore/events/testing"
import type { TopicNames } from "@xpscore/kafka"
import { apply, DAY_MS, defaultParams, emptyState, fromInteraction, HOUR_MS } from "@xpscore/scoring"
import { Effect } from "effect"
import fc from "fast-check"
import type { Admin, Kafka } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bothClickHouseModes, temporaryFolder, testInfra, testKafkaBrokers, uniqueSuffix } from "../harness/index.ts"
import {
  committedTotal,
  endTotal,
  eventually,
  freePort,
  freshTopics,
  keyed,
  publish,
  startScorer,
  testKafka,
  waitCaughtUp,
  waitReady
} from "./scorerProcess.ts"

/*
 * Issue 6 acceptance end to end: interaction events → `xpscore run scorer` →
 * scores topic → `xpscore run projector` → ClickHouse, on the server and on
 * embedded ClickHouse. The current scores equal `xpscore score` over the same
 * events (at the latest event time, and at one later time through the view's
 * SQL), and the daily rollups count what the input holds.
 */

const repoRoot = fileURLToPath(new URL("../../", import.meta.url))

const hostileIds = ["o'brien", "back\\slash", "'); DROP TABLE x; --", "😀 emoji", "Ærøskøbing – 東京", "plain"]

const journey = (() => {
  const [sampled] = fc.sample(
    arbitraryJourney({
      customers: { min: hostileIds.length, max: hostileIds.length },
      eventsPerCustomer: { min: 10, max: 30 },
      latenessMs: 6 * HOUR_MS,
      duplicateRate: 0.05
    }),
    { seed: 6, numRuns: 1 }
  )
  const rename = new Map(sampled!.customers.map((id, i) => [id, hostileIds[i]!]))
  return sampled!.events.map((event): XpEventWire => ({ ...event, subject: rename.get(event.subject)! }))
})()

const run = (args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const child = spawn("./xpscore", [...args], { cwd: repoRoot, env: { ...process.env, ...env } })
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk))
    child.on("error", reject)
    child.on("close", (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") })
    )
  })

interface OfflineScore {
  readonly customerId: string
  readonly score: number
  readonly events: number
}

/** `xpscore score` over the events in the order the scorer reads them (per customer: arrival order). */
const xpscoreScore = async (file: string, at?: number): Promise<Map<string, OfflineScore>> => {
  const result = await run(["score", ...(at === undefined ? [] : ["--at", new Date(at).toISOString()]), file])
  if (result.code !== 0) throw new Error(`xpscore score exited ${result.code}: ${result.stderr}`)
  const lines = result.stdout
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as OfflineScore)
  return new Map(lines.map((line) => [line.customerId, line]))
}

const utcDay = (ms: number) => new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 10)

/** Rollup counts straight from the input: distinct events and re-sends by day, source, channel, segment; bad moments and recoveries from the model's fold. */
const expectedRollups = () => {
  const seen = new Set<string>()
  const states = new Map<string, ReturnType<typeof emptyState>>()
  const rows = new Map<string, Record<string, string | number>>()
  for (const wire of journey) {
    const event = decodeEventOrThrow(currentRegistry, wire)
    const state = states.get(event.subject) ?? emptyState()
    states.set(event.subject, state)
    const outcome = apply(state, fromInteraction(event), defaultParams)
    const key = [utcDay(event.timeMs), event.source, event.channel ?? "", event.segment ?? ""]
    const id = JSON.stringify(key)
    const row = rows.get(id) ?? {
      day: key[0]!,
      event_source: key[1]!,
      channel: key[2]!,
      segment: key[3]!,
      events: 0,
      duplicates: 0,
      negative_moments: 0,
      recoveries: 0
    }
    const identity = JSON.stringify([event.source, event.id])
    if (seen.has(identity)) row.duplicates = Number(row.duplicates) + 1
    else row.events = Number(row.events) + 1
    seen.add(identity)
    if ((outcome.v ?? 0) < 0) row.negative_moments = Number(row.negative_moments) + 1
    if (outcome.recovery === "paradox" || outcome.recovery === "partial") row.recoveries = Number(row.recoveries) + 1
    rows.set(id, row)
  }
  return [...rows.values()].sort((a, b) =>
    JSON.stringify([a.day, a.event_source, a.channel, a.segment]) <
    JSON.stringify([b.day, b.event_source, b.channel, b.segment])
      ? -1
      : 1
  )
}

let kafka: Kafka
let admin: Admin
let ndjson: string
beforeAll(async () => {
  kafka = testKafka()
  admin = kafka.admin()
  await admin.connect()
  ndjson = path.join(temporaryFolder("projection-e2e"), "events.ndjson")
  fs.writeFileSync(ndjson, `${journey.map((event) => JSON.stringify(event)).join("\n")}\n`)
})
afterAll(() => admin?.disconnect())

describe.each(bothClickHouseModes("unused"))("events → scorer → projector → ClickHouse (%s)", (mode, makeTarget) => {
  let target: ClickHouseTarget
  let topics: TopicNames
  const query = <A extends Record<string, unknown>>(sql: string) =>
    Effect.runPromise(
      Effect.gen(function* () {
        return yield* (yield* ClickHouse).query<A>(sql)
      }).pipe(Effect.provide(ClickHouse.layerFor(target)))
    )

  beforeAll(async () => {
    target = { ...makeTarget(), database: `projection_e2e_${uniqueSuffix()}` }
    topics = await freshTopics(kafka, 3)
    await publish(kafka, topics.interactions, keyed(journey))

    const scorer = await startScorer(topics)
    await waitReady(scorer)
    await waitCaughtUp(admin, topics)
    expect(await scorer.stop()).not.toBeNull()

    const port = await freePort()
    const groupId = `projection-e2e-${uniqueSuffix()}`
    const projector = spawn("./xpscore", ["run", "projector"], {
      cwd: repoRoot,
      env: {
        ...process.env,
        KAFKA_BROKERS: testKafkaBrokers().join(","),
        XPSCORE_TOPIC_PREFIX: topics.interactions.replace(/interactions$/, ""),
        XPSCORE_PROJECTOR_GROUP_ID: groupId,
        XPSCORE_PROJECTOR_HTTP_PORT: String(port),
        XPSCORE_PROJECTOR_HTTP_HOST: "127.0.0.1",
        XPSCORE_PROJECTOR_BATCH_MS: "200",
        XPSCORE_CLICKHOUSE_DATABASE: target.database,
        ...(target.mode === "server"
          ? { CLICKHOUSE_URL: testInfra().clickhouseUrl }
          : { CLICKHOUSE_URL: "", XPSCORE_CHDB_PATH: target.path })
      },
      stdio: ["ignore", "pipe", "pipe"]
    })
    const output: Array<string> = []
    projector.stdout.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")))
    projector.stderr.on("data", (chunk: Buffer) => output.push(chunk.toString("utf8")))
    const exited = new Promise<number | null>((resolve) => projector.on("exit", (code) => resolve(code)))
    try {
      await eventually(
        async () => {
          if (projector.exitCode !== null) throw new Error(`the projector exited:\n${output.join("")}`)
          let behind = 0
          for (const topic of [topics.scores, topics.interactions]) {
            behind += (await endTotal(admin, topic)) - (await committedTotal(admin, groupId, topic))
          }
          return behind === 0
        },
        "the projector to commit both topics",
        120_000
      )
    } finally {
      // embedded ClickHouse is one process's: the projector lets go of it before the test reads
      projector.kill("SIGTERM")
      await exited
    }
  })

  afterAll(async () => {
    if (mode === "server") await query(`DROP DATABASE IF EXISTS ${sqlIdentifier(target.database)}`)
  })

  it("shows every customer once, with the score `xpscore score` gives at its latest event", async () => {
    const offline = await xpscoreScore(ndjson)
    const rows = await query<{ customer_id: string; score_at_last_event: number }>(
      `SELECT customer_id, score_at_last_event FROM ${sqlQualified(target.database, biViews.currentScores)}`
    )
    expect(rows.map((row) => row.customer_id).sort()).toEqual([...hostileIds].sort())
    for (const row of rows) {
      const expected = offline.get(row.customer_id)!
      expect(Math.abs(row.score_at_last_event - expected.score), row.customer_id).toBeLessThanOrEqual(1e-9)
    }
  })

  it("computes, as of a later time, the score `xpscore score --at` gives", async () => {
    const latest = Math.max(...journey.map((event) => Date.parse(event.time)))
    const at = latest + 30 * DAY_MS
    const offline = await xpscoreScore(ndjson, at)
    const rows = await query<{ customer_id: string; score: number }>(
      `SELECT customer_id, score FROM (${currentScoresSelect(target.database, sqlNumber(at))})`
    )
    expect(rows).toHaveLength(hostileIds.length)
    for (const row of rows) {
      expect(Math.abs(row.score - offline.get(row.customer_id)!.score), row.customer_id).toBeLessThanOrEqual(1e-9)
    }
  })

  it("rolls up per day, source, channel and segment the counts of the input", async () => {
    const rollups = await query(
      `SELECT day, event_source, channel, segment, events, duplicates, negative_moments, recoveries
       FROM ${sqlQualified(target.database, biViews.dailyRollups)} ORDER BY day, event_source, channel, segment`
    )
    const expected = expectedRollups()
    expect(rollups).toEqual(expected)
    expect(expected.reduce((sum, row) => sum + Number(row.duplicates), 0)).toBeGreaterThan(0)
  })

  it("keeps each hostile customer id unchanged through Kafka, the scorer and ClickHouse", async () => {
    for (const id of hostileIds) {
      const rows = await query<{ n: number }>(
        `SELECT count() AS n FROM ${sqlQualified(target.database, biViews.currentScores)} WHERE customer_id = ${sqlString(id)}`
      )
      expect(rows, id).toEqual([{ n: 1 }])
    }
  })
})
