import { biViews, schemaTables, sqlQualified } from "@xpscore/clickhouse"
import type { ClickHouseTarget } from "@xpscore/config"
import { currentRegistry, decodeEventOrThrow, type ScoreRecord } from "@xpscore/events"
import type { TopicNames } from "@xpscore/kafka"
import { defaultParams, scoreFromComponents } from "@xpscore/scoring"
import type { Admin, Kafka } from "kafkajs"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { bothClickHouseModes, uniqueSuffix } from "../../../test/harness/index.ts"
import {
  type ClickHouseRuntime,
  clickhouseRuntime,
  dropIfServer,
  freePort,
  freshTopics,
  publishInteractions,
  publishScores,
  query,
  startProjector,
  testKafka,
  utcDay,
  waitUntilCaughtUp
} from "./projectorHarness.ts"
import { hostileCustomerIds, hostileJourney } from "./scoredJourney.ts"

/*
 * Acceptance of the projection, on the ClickHouse server and the embedded
 * engine: score records computed with the model's fold from a multi-customer
 * journey (hostile customer ids, out-of-order arrival, re-sent duplicates)
 * go through real Kafka (transactions, like the scorer) and the real
 * projector into real ClickHouse, and the BI views must say what the input says.
 */

const journey = hostileJourney()
const closeTo = (actual: number, expected: number) => Math.abs(actual - expected) <= 1e-9

const lastRecordOf = (records: ReadonlyArray<ScoreRecord>) => {
  const last = new Map<string, ScoreRecord>()
  for (const record of records) {
    const current = last.get(record.customerId)
    if (current === undefined || record.seq > current.seq) last.set(record.customerId, record)
  }
  return last
}

const expectedRollups = (records: ReadonlyArray<ScoreRecord>) => {
  interface RollupKey {
    readonly day: string
    readonly event_source: string
    readonly channel: string
    readonly segment: string
  }
  const groups = new Map<string, { key: RollupKey; rows: Array<ScoreRecord> }>()
  for (const record of records) {
    const key: RollupKey = {
      day: utcDay(record.eventTimeMs),
      event_source: record.eventSource,
      channel: record.channel ?? "",
      segment: record.segment ?? ""
    }
    const id = JSON.stringify(key)
    const group = groups.get(id) ?? { key, rows: [] }
    group.rows.push(record)
    groups.set(id, group)
  }
  return [...groups.values()]
    .map(({ key, rows }) => {
      const applied = rows.filter((r) => !r.flags.duplicate)
      return {
        ...key,
        events: applied.length,
        negative_moments: rows.filter((r) => (r.impression ?? 0) < 0).length,
        recoveries: rows.filter((r) => r.recovery === "paradox" || r.recovery === "partial").length,
        recovery_paradoxes: rows.filter((r) => r.recovery === "paradox").length,
        double_deviations: rows.filter((r) => r.recovery === "doubleDeviation").length,
        late_events: rows.filter((r) => r.flags.late).length,
        duplicates: rows.length - applied.length,
        active_customers: new Set(rows.map((r) => r.customerId)).size,
        score_sum: applied.reduce((sum, r) => sum + r.score, 0)
      }
    })
    .sort((a, b) =>
      [a.day, a.event_source, a.channel, a.segment].join("\u0000") <
      [b.day, b.event_source, b.channel, b.segment].join("\u0000")
        ? -1
        : 1
    )
}

const expectedCrossings = (records: ReadonlyArray<ScoreRecord>, thresholds: ReadonlyArray<number>) =>
  records
    .flatMap((r) =>
      thresholds
        .filter((t) => (r.previousScore >= t && r.score < t) || (r.previousScore < t && r.score >= t))
        .map((t) => ({ customer_id: r.customerId, seq: r.seq, threshold: t, direction: r.score < t ? "down" : "up" }))
    )
    .sort((a, b) =>
      a.customer_id < b.customer_id
        ? -1
        : a.customer_id > b.customer_id
          ? 1
          : a.seq - b.seq || a.threshold - b.threshold
    )

/** Everything BI can see, minus what depends on the query time. */
const snapshot = async (runtime: ClickHouseRuntime, database: string) => {
  const view = (name: string) => sqlQualified(database, name)
  return {
    current: await query(
      runtime,
      `SELECT customer_id, score_at_last_event, index_at_last_event, records, last_event_id, last_event_source, last_event_type,
              last_event_time_ms, last_event_time, t_ref_ms, channel, segment, model_version
       FROM ${view(biViews.currentScores)} ORDER BY customer_id`
    ),
    history: await query(runtime, `SELECT * FROM ${view(biViews.scoreHistory)} ORDER BY customer_id, seq`),
    rollups: await query(
      runtime,
      `SELECT * FROM ${view(biViews.dailyRollups)} ORDER BY day, event_source, channel, segment`
    ),
    crossings: await query(
      runtime,
      `SELECT * FROM ${view(biViews.scoreCrossings)} ORDER BY customer_id, seq, threshold`
    ),
    interactions: await query(runtime, `SELECT * FROM ${view(biViews.interactions)} ORDER BY event_source, event_id`),
    storedHistoryRows: await query(runtime, `SELECT count() AS n FROM ${view(schemaTables.scoreHistory)}`)
  }
}

describe.each(bothClickHouseModes("unused"))("the projector into ClickHouse (%s)", (_mode, makeTarget) => {
  let target: ClickHouseTarget
  let runtime: ClickHouseRuntime
  let kafka: Kafka
  let admin: Admin
  let topics: TopicNames
  const groupId = `projector-${uniqueSuffix()}`
  let metricsAfterFirstRun = ""
  const env = () => ({
    XPSCORE_TOPIC_PREFIX: topics.interactions.replace(/interactions$/, ""),
    XPSCORE_TOPIC_PARTITIONS: "3",
    XPSCORE_PROJECTOR_GROUP_ID: groupId,
    XPSCORE_PROJECTOR_BATCH_ROWS: "40"
  })

  beforeAll(async () => {
    target = { ...makeTarget(), database: `projector_${uniqueSuffix()}` }
    runtime = clickhouseRuntime(target)
    kafka = testKafka()
    admin = kafka.admin()
    await admin.connect()
    topics = await freshTopics(kafka)
    await publishInteractions(kafka, topics.interactions, journey.events)
    await publishScores(kafka, topics.scores, journey.records)
    // records that do not decode: skipped and counted, never blocking the ones behind them
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({ topic: topics.interactions, messages: [{ key: "x", value: "not json at all" }] })
    // a valid event keyed other than by its customer: the scorer dead-letters it, so it is no interaction either
    await producer.send({
      topic: topics.interactions,
      messages: [
        {
          key: "someone-else",
          value: JSON.stringify({ ...journey.events[0]!, id: "keyed-by-someone-else" })
        }
      ]
    })
    await producer.send({ topic: topics.scores, messages: [{ key: "x", value: JSON.stringify({ customerId: 1 }) }] })
    await producer.disconnect()
    const port = await freePort()
    const projector = startProjector(runtime, { ...env(), XPSCORE_PROJECTOR_HTTP_PORT: String(port) })
    await waitUntilCaughtUp(admin, groupId, [topics.scores, topics.interactions])
    metricsAfterFirstRun = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
    await projector.stop()
  })

  afterAll(async () => {
    await admin?.disconnect()
    if (runtime !== undefined) await dropIfServer(runtime, target)
    await runtime?.dispose()
  })

  it("shows every customer once, with the fold's score after its latest event, and the score as of now from the same formula", async () => {
    const rows = await query<{
      customer_id: string
      score: number
      as_of_ms: number
      score_at_last_event: number
      records: number
      last_event_id: string
      t_ref_ms: number
    }>(runtime, `SELECT * FROM ${sqlQualified(target.database, biViews.currentScores)} ORDER BY customer_id`)
    expect(rows.map((row) => row.customer_id).sort()).toEqual([...hostileCustomerIds].sort())
    const last = lastRecordOf(journey.records)
    for (const row of rows) {
      const record = last.get(row.customer_id)!
      expect(row.records).toBe(record.seq)
      expect(row.last_event_id).toBe(record.eventId)
      expect(row.t_ref_ms).toBe(record.components.tRefMs)
      expect(closeTo(row.score_at_last_event, record.score), `${row.customer_id}`).toBe(true)
      // the fold's own state, decayed to the view's query time
      const state = journey.states.get(row.customer_id)!
      expect(state).toBeDefined()
      const expected = scoreFromComponents(record.components, defaultParams, row.as_of_ms)
      expect(Math.abs(row.score - expected), `${row.customer_id} as of ${row.as_of_ms}`).toBeLessThanOrEqual(1e-9)
    }
  })

  it("keeps one history row per score record, equal to what the fold produced", async () => {
    const history = await query<{
      customer_id: string
      seq: number
      event_id: string
      score: number
      previous_score: number
      impression: number | null
      recovery: string | null
      duplicate: number
    }>(runtime, `SELECT * FROM ${sqlQualified(target.database, biViews.scoreHistory)} ORDER BY customer_id, seq`)
    const expected = [...journey.records].sort((a, b) =>
      a.customerId < b.customerId ? -1 : a.customerId > b.customerId ? 1 : a.seq - b.seq
    )
    expect(history.map((h) => [h.customer_id, h.seq, h.event_id, h.recovery, h.duplicate])).toEqual(
      expected.map((r) => [r.customerId, r.seq, r.eventId, r.recovery, r.flags.duplicate ? 1 : 0])
    )
    history.forEach((row, i) => {
      const record = expected[i]!
      expect(closeTo(row.score, record.score)).toBe(true)
      expect(closeTo(row.previous_score, record.previousScore)).toBe(true)
      expect(row.impression === null ? null : closeTo(row.impression, record.impression!)).toBe(
        record.impression === null ? null : true
      )
    })
  })

  it("rolls up per day, source, channel and segment exactly the counts computed from the input", async () => {
    const rollups = await query<Record<string, number | string | null>>(
      runtime,
      `SELECT * FROM ${sqlQualified(target.database, biViews.dailyRollups)} ORDER BY day, event_source, channel, segment`
    )
    const expected = expectedRollups(journey.records)
    expect(rollups.map(({ average_score: _a, score_sum: _s, ...counts }) => counts)).toEqual(
      expected.map(({ score_sum: _s, ...counts }) => counts)
    )
    rollups.forEach((row, i) => {
      const group = expected[i]!
      expect(Math.abs(Number(row.score_sum) - group.score_sum)).toBeLessThanOrEqual(1e-6)
      if (group.events === 0) expect(row.average_score).toBeNull()
      else expect(Math.abs(Number(row.average_score) - group.score_sum / group.events)).toBeLessThanOrEqual(1e-9)
    })
    expect(expected.reduce((sum, g) => sum + g.negative_moments, 0)).toBeGreaterThan(0)
    expect(expected.reduce((sum, g) => sum + g.recoveries, 0)).toBeGreaterThan(0)
    expect(expected.reduce((sum, g) => sum + g.duplicates, 0)).toBeGreaterThan(0)
    expect(expected.reduce((sum, g) => sum + g.late_events, 0)).toBe(2)
  })

  it("lists exactly the threshold crossings the score records make", async () => {
    const crossings = await query<{ customer_id: string; seq: number; threshold: number; direction: string }>(
      runtime,
      `SELECT customer_id, seq, threshold, direction FROM ${sqlQualified(target.database, biViews.scoreCrossings)}
       ORDER BY customer_id, seq, threshold`
    )
    const expected = expectedCrossings(journey.records, [30, 50, 70])
    expect(expected.length).toBeGreaterThan(0)
    expect(crossings).toEqual(expected)
  })

  it("keeps each interaction once, ids and payload unchanged", async () => {
    const rows = await query<{ event_source: string; event_id: string; customer_id: string; data: string }>(
      runtime,
      `SELECT event_source, event_id, customer_id, data FROM ${sqlQualified(target.database, biViews.interactions)}`
    )
    const distinct = new Map(
      journey.events.map((wire) => {
        const event = decodeEventOrThrow(currentRegistry, wire)
        return [JSON.stringify([event.source, event.id]), event] as const
      })
    )
    expect(rows).toHaveLength(distinct.size)
    for (const row of rows) {
      const event = distinct.get(JSON.stringify([row.event_source, row.event_id]))!
      expect(row.customer_id).toBe(event.subject)
      expect(JSON.parse(row.data)).toEqual(event.data)
    }
    expect(new Set(rows.map((row) => row.customer_id))).toEqual(new Set(hostileCustomerIds))
  })

  it("skips and counts the records that do not decode, and interactions keyed other than by their customer", () => {
    const skipped = (topic: string, reason = "undecodable") =>
      new RegExp(
        `^xpscore_projector_records_skipped_total\\{reason="${reason}",topic="${topic.replaceAll(".", "\\.")}"\\} (\\d+)$`,
        "m"
      ).exec(metricsAfterFirstRun)?.[1]
    expect(skipped(topics.interactions)).toBe("1")
    expect(skipped(topics.scores)).toBe("1")
    expect(skipped(topics.interactions, "key_mismatch")).toBe("1")
    expect(metricsAfterFirstRun).toMatch(/^xpscore_projector_rows_inserted_total\{table="score_history"\} \d+$/m)
  })

  it("changes no view when both topics are consumed again from the beginning", async () => {
    const before = await snapshot(runtime, target.database)
    expect(before.storedHistoryRows).toEqual([{ n: journey.records.length }])
    for (const topic of [topics.scores, topics.interactions]) {
      await admin.resetOffsets({ groupId, topic, earliest: true })
    }
    const projector = startProjector(runtime, env())
    await waitUntilCaughtUp(admin, groupId, [topics.scores, topics.interactions])
    await projector.stop()
    const after = await snapshot(runtime, target.database)
    expect(after).toEqual(before)
  })
})
