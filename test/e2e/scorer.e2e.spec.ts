import { deadLetterHeaderNames, type ScoreRecord } from "@xpscore/events"
import { arbitraryInvalidRecord, arbitraryJourney, type XpEventWire } from "@xpscore/events/testing"
import { headersAsText, type TopicNames } from "@xpscore/kafka"
import { HOUR_MS } from "@xpscore/scoring"
import fc from "fast-check"
import type { Admin, Kafka } from "kafkajs"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import {
  committedTotal,
  eventsPerCustomer,
  eventually,
  freshTopics,
  keyed,
  metricSamples,
  publish,
  readAll,
  readScores,
  recordsByCustomer,
  type ScorerProcess,
  scorerGroup,
  startScorer,
  testKafka,
  waitCaughtUp,
  waitReady,
  xpscoreScore
} from "./scorerProcess.ts"

let kafka: Kafka
let admin: Admin
const running: Array<ScorerProcess> = []

beforeAll(async () => {
  kafka = testKafka()
  admin = kafka.admin()
  await admin.connect()
})
afterEach(async () => {
  for (const scorer of running.splice(0)) if (scorer.child.exitCode === null) await scorer.kill()
})
afterAll(async () => {
  await admin.disconnect()
})

const scorer = async (topics: TopicNames, env: Record<string, string> = {}) => {
  const started = await startScorer(topics, env)
  running.push(started)
  return started
}

const journeyOf = (seed: number, customers: number, eventsPerCustomer: number, duplicateRate = 0.05) =>
  fc.sample(
    arbitraryJourney({
      customers: { min: customers, max: customers },
      eventsPerCustomer: { min: Math.ceil(eventsPerCustomer / 2), max: eventsPerCustomer },
      latenessMs: 12 * HOUR_MS,
      duplicateRate
    }),
    { seed, numRuns: 1 }
  )[0]!

/**
 * Each customer's records are numbered 1…n without gap or repeat, n is the
 * number of the customer's events, and the latest score is what `xpscore
 * score` gives for the same events.
 */
const expectScoredExactlyOnce = (records: ReadonlyArray<ScoreRecord>, events: ReadonlyArray<XpEventWire>) => {
  const counts = eventsPerCustomer(events)
  const offline = xpscoreScore(events)
  const byCustomer = recordsByCustomer(records)
  expect([...byCustomer.keys()].sort()).toEqual([...counts.keys()].sort())
  for (const [customerId, count] of counts) {
    const mine = byCustomer.get(customerId)!
    expect(mine.map((record) => record.seq)).toEqual(Array.from({ length: count }, (_, i) => i + 1))
    expect(Math.abs(mine.at(-1)!.score - offline.get(customerId)!)).toBeLessThanOrEqual(1e-9)
  }
}

describe("xpscore run scorer", () => {
  it("scores randomized journeys as offline scoring does, duplicates once, dead-letters 10 % invalid records, counts it all in /metrics", async () => {
    const topics = await freshTopics(kafka, 3)
    const journey = journeyOf(11, 40, 24, 0.08)
    const invalid = fc.sample(arbitraryInvalidRecord, { seed: 11, numRuns: Math.round(journey.events.length / 9) })
    // invalid records spread over the stream, each keyed like its customer's events
    const records: Array<{ key: string | null; value: string | Uint8Array }> = keyed(journey.events)
    invalid.forEach((sample, i) => {
      records.splice((i * 7919) % records.length, 0, { key: sample.subject, value: sample.raw })
    })
    await publish(kafka, topics.interactions, records)

    const instance = await scorer(topics)
    await waitReady(instance)
    await waitCaughtUp(admin, topics)

    const scores = await readScores(kafka, topics)
    expect(scores).toHaveLength(journey.events.length)
    expectScoredExactlyOnce(scores, journey.events)
    // arrival order within the allowed lateness, re-sent duplicates: the same as each event once, in time order
    const sorted = xpscoreScore(journey.distinct)
    for (const [customerId, list] of recordsByCustomer(scores)) {
      expect(Math.abs(list.at(-1)!.score - sorted.get(customerId)!)).toBeLessThanOrEqual(1e-9)
    }
    expect(scores.filter((record) => record.flags.duplicate)).toHaveLength(journey.duplicates)

    const input = new Map(
      (await readAll(kafka, topics.interactions)).map((message) => [`${message.partition}:${message.offset}`, message])
    )
    const letters = await readAll(kafka, topics.deadLetters)
    expect(letters).toHaveLength(invalid.length)
    for (const letter of letters) {
      const headers = headersAsText(letter.headers)
      const source = input.get(
        `${headers[deadLetterHeaderNames.sourcePartition]}:${headers[deadLetterHeaderNames.sourceOffset]}`
      )!
      expect(letter.value).toEqual(source.value)
      expect(letter.key).toEqual(source.key)
      expect(headers["content-type"]).toBe("application/cloudevents+json")
      expect(headers).toMatchObject({
        [deadLetterHeaderNames.step]: "decode",
        [deadLetterHeaderNames.sourceTopic]: topics.interactions,
        [deadLetterHeaderNames.consumerGroup]: scorerGroup(topics)
      })
      expect(headers[deadLetterHeaderNames.reason]).toBe(
        `${headers[deadLetterHeaderNames.path]}: ${headers[deadLetterHeaderNames.rule]}: ${headers[deadLetterHeaderNames.reason]!.split(": ").slice(2).join(": ")}`
      )
      expect(Date.now() - Date.parse(headers[deadLetterHeaderNames.time]!)).toBeLessThan(600_000)
    }
    const rules = new Map<string, number>()
    for (const sample of invalid) rules.set(sample.rule, (rules.get(sample.rule) ?? 0) + 1)

    const metrics = metricSamples((await instance.get("/metrics")).body)
    expect(metrics.get("xpscore_scorer_records_total")).toBe(records.length)
    expect(metrics.get("xpscore_scorer_score_records_total")).toBe(journey.events.length)
    expect(metrics.get("xpscore_scorer_events_applied_total")).toBe(journey.events.length - journey.duplicates)
    expect(metrics.get("xpscore_scorer_duplicates_total")).toBe(journey.duplicates)
    for (const [rule, count] of rules) {
      expect(metrics.get(`xpscore_scorer_dead_letters_total{step="decode",rule="${rule}"}`)).toBe(count)
    }
    const customers = [0, 1, 2].map((p) => metrics.get(`xpscore_scorer_customers{partition="${p}"}`) ?? 0)
    expect(customers.reduce((a, b) => a + b, 0)).toBe(journey.customers.length)
    expect(metrics.get("xpscore_scorer_assigned_partitions")).toBe(3)
    expect(metrics.get("xpscore_scorer_ready_partitions")).toBe(3)
    expect(metrics.get("xpscore_scorer_batch_records_sum")).toBe(records.length)

    expect(await instance.stop()).toBe(0)
    expect(instance.logs().some((log) => log.message === "transactional processor stopped")).toBe(true)
  })

  it("is not ready until it restored its partitions from the changelog, then continues every customer's sequence", async () => {
    const topics = await freshTopics(kafka, 3)
    const journey = journeyOf(23, 60, 20)
    const cut = Math.floor(journey.events.length * 0.6)
    await publish(kafka, topics.interactions, keyed(journey.events.slice(0, cut)))
    const first = await scorer(topics)
    await waitReady(first)
    await waitCaughtUp(admin, topics)
    expect(await first.stop()).toBe(0)

    await publish(kafka, topics.interactions, keyed(journey.events.slice(cut)))
    const second = await scorer(topics)
    const { readyAtMs, notReady } = await waitReady(second)
    expect(notReady.some((answer) => answer.status === 503)).toBe(true)
    const restored = second.logs().filter((log) => log.message === "partition restored")
    expect(restored).toHaveLength(3)
    expect(restored.reduce((sum, log) => sum + Number(log.annotations!.keys), 0)).toBe(
      new Set(journey.events.slice(0, cut).map((event) => event.subject)).size
    )
    for (const log of restored) expect(Date.parse(log.timestamp)).toBeLessThanOrEqual(readyAtMs)
    await waitCaughtUp(admin, topics)
    expectScoredExactlyOnce(await readScores(kafka, topics), journey.events)
    const metrics = metricSamples((await second.get("/metrics")).body)
    expect(metrics.get('xpscore_scorer_restores_total{how="restored"}')).toBe(3)
    expect(metrics.get("xpscore_scorer_restored_customers_total")).toBe(
      new Set(journey.events.slice(0, cut).map((event) => event.subject)).size
    )
  })

  it("after SIGKILL mid-run and a restart, the scores topic holds exactly what an uninterrupted run writes", async () => {
    const journey = journeyOf(37, 400, 40)
    const interrupted = await freshTopics(kafka, 3)
    const uninterrupted = await freshTopics(kafka, 3)
    await publish(kafka, interrupted.interactions, keyed(journey.events))
    await publish(kafka, uninterrupted.interactions, keyed(journey.events))

    // small transactions, so that the kill lands in the middle of the run
    const small = { XPSCORE_SCORER_MAX_BATCH_RECORDS: "100", XPSCORE_SCORER_FETCH_MAX_BYTES_PER_PARTITION: "65536" }
    const victim = await scorer(interrupted, small)
    await waitReady(victim)
    const end = journey.events.length
    let committedAtKill = 0
    await eventually(async () => {
      const [entry] = await admin.fetchOffsets({
        groupId: scorerGroup(interrupted),
        topics: [interrupted.interactions]
      })
      committedAtKill = (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)
      return committedAtKill >= end / 5
    }, "a fifth of the stream to be committed")
    await victim.kill()
    expect(committedAtKill).toBeLessThan(end)

    const restarted = await scorer(interrupted, small)
    await waitReady(restarted)
    await waitCaughtUp(admin, interrupted)
    const reference = await scorer(uninterrupted)
    await waitReady(reference)
    await waitCaughtUp(admin, uninterrupted)

    const afterKill = recordsByCustomer(await readScores(kafka, interrupted))
    const straight = recordsByCustomer(await readScores(kafka, uninterrupted))
    expect(afterKill.size).toBe(straight.size)
    for (const [customerId, records] of straight) expect(afterKill.get(customerId)).toEqual(records)
    expectScoredExactlyOnce([...afterKill.values()].flat(), journey.events)
  })

  it("two instances in one group score as one; stopping one hands its partitions, with their state, to the other", async () => {
    const topics = await freshTopics(kafka, 4)
    const journey = journeyOf(53, 80, 20)
    const cut = Math.floor(journey.events.length / 2)
    const a = await scorer(topics)
    const b = await scorer(topics)
    await Promise.all([waitReady(a), waitReady(b)])
    await eventually(async () => {
      const [ra, rb] = await Promise.all([a.get("/readyz"), b.get("/readyz")])
      return ra.status === 200 && rb.status === 200 && JSON.parse(ra.body).assigned + JSON.parse(rb.body).assigned === 4
    }, "both instances to share the four partitions")

    await publish(kafka, topics.interactions, keyed(journey.events.slice(0, cut)))
    await waitCaughtUp(admin, topics)
    expectScoredExactlyOnce(await readScores(kafka, topics), journey.events.slice(0, cut))
    const recordsOf = async (instance: ScorerProcess) =>
      metricSamples((await instance.get("/metrics")).body).get("xpscore_scorer_records_total") ?? 0
    const [byA, byB] = await Promise.all([recordsOf(a), recordsOf(b)])
    expect(byA).toBeGreaterThan(0)
    expect(byB).toBeGreaterThan(0)
    expect(byA + byB).toBe(cut)

    expect(await a.stop()).toBe(0)
    await eventually(async () => {
      const ready = await b.get("/readyz")
      return ready.status === 200 && JSON.parse(ready.body).assigned === 4
    }, "the remaining instance to take over every partition")
    const takenOver = b
      .logs()
      .filter((log) => log.message === "partition restored" && Number(log.annotations!.keys) > 0)
    expect(takenOver.length).toBeGreaterThanOrEqual(2)

    await publish(kafka, topics.interactions, keyed(journey.events.slice(cut)))
    await waitCaughtUp(admin, topics)
    expectScoredExactlyOnce(await readScores(kafka, topics), journey.events)
    expect(await b.stop()).toBe(0)
  })
})

describe("xpscore run scorer on a broken stream", () => {
  it("stops with an error that names the ceiling, the partition and an example, and commits nothing of the batch", async () => {
    const topics = await freshTopics(kafka, 1)
    const journey = journeyOf(71, 5, 10, 0)
    const garbage = Array.from({ length: 400 }, (_, i) => ({ key: journey.customers[0]!, value: `{"broken": ${i}` }))
    await publish(kafka, topics.interactions, [...keyed(journey.events), ...garbage])
    const instance = await scorer(topics)
    const code = await Promise.race([
      instance.exited,
      new Promise((resolve) => setTimeout(() => resolve("running"), 60_000))
    ])
    expect(code).toBe(1)
    expect(instance.output()).toContain("XPSCORE_SCORER_MAX_INVALID_RATIO=0.25")
    expect(instance.output()).toMatch(/partition 0, offsets \d+–\d+/)
    expect(instance.output()).toContain("json: not JSON")
    expect(await committedTotal(admin, scorerGroup(topics), topics.interactions)).toBeLessThan(
      journey.events.length + 1
    )
    expect(await readAll(kafka, topics.deadLetters)).toEqual([])
  })
})
