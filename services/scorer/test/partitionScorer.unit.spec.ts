import {
  CLOUDEVENTS_CONTENT_TYPE,
  currentRegistry,
  deadLetterHeaderNames,
  decodeEventOrThrow,
  EventDecoder,
  type EventRegistry,
  ScoreRecord,
  type XpEvent
} from "@xpscore/events"
import {
  arbitraryInvalidRecord,
  arbitraryJourney,
  arbitraryTouchpointV2Wire,
  registryWithTouchpointV2,
  validSamples,
  type XpEventWire
} from "@xpscore/events/testing"
import { type ChangelogEntry, headersAsText, topicNames } from "@xpscore/kafka"
import {
  apply,
  type CustomerState,
  componentsOf,
  defaultParams,
  emptyState,
  fromInteraction,
  HOUR_MS,
  type Params,
  scoreAt
} from "@xpscore/scoring"
import { Result, Schema } from "effect"
import fc from "fast-check"
import type { KafkaMessage, Message } from "kafkajs"
import { describe, expect, it } from "vitest"
import { InvalidRatioGuard } from "../src/invalidRatioGuard.ts"
import { type PartitionState, restorePartition, type ScorerSetup, scoreBatch } from "../src/partitionScorer.ts"

const topics = topicNames("test.")
const decodeRecord = Schema.decodeUnknownSync(ScoreRecord)

const setupWith = (options: { registry?: EventRegistry<XpEvent>; params?: Params; guard?: InvalidRatioGuard } = {}) =>
  ({
    decoder: EventDecoder.make(options.registry ?? currentRegistry),
    params: options.params ?? defaultParams,
    topics,
    groupId: "scorer-test",
    guard: options.guard ?? new InvalidRatioGuard(1, 1),
    nowMs: () => Date.UTC(2025, 0, 1)
  }) satisfies ScorerSetup

const asMessages = (
  records: ReadonlyArray<{ key: string | null; value: string | Uint8Array | null }>,
  firstOffset = 0
): Array<KafkaMessage> =>
  records.map((record, i) => ({
    key: record.key === null ? null : Buffer.from(record.key),
    value: record.value === null ? null : Buffer.from(record.value),
    offset: String(firstOffset + i),
    timestamp: "0",
    attributes: 0,
    headers: { "content-type": CLOUDEVENTS_CONTENT_TYPE }
  }))

const keyed = (events: ReadonlyArray<XpEventWire>) =>
  events.map((event) => ({ key: event.subject, value: JSON.stringify(event) }))

/** Scores `messages` in batches cut at `cuts`, returning every output of every batch. */
const scoreInBatches = (
  setup: ScorerSetup,
  state: PartitionState,
  messages: ReadonlyArray<KafkaMessage>,
  cuts: ReadonlyArray<number>
) => {
  const bounds =
    messages.length === 0
      ? []
      : [0, ...[...new Set(cuts)].filter((c) => c > 0 && c < messages.length).sort((a, b) => a - b)]
  const scores: Array<Message> = []
  const deadLetters: Array<Message> = []
  const changelog: Array<{ key: string; value: Buffer; inputOffset: bigint }> = []
  bounds.forEach((from, i) => {
    const to = bounds[i + 1] ?? messages.length
    const batch = { topic: topics.interactions, partition: 0, messages: messages.slice(from, to) }
    const result = scoreBatch(setup, state, batch)
    if (Result.isFailure(result)) throw result.failure
    for (const { topic, messages: out } of result.success.topicMessages) {
      if (topic === topics.scores) scores.push(...out)
      else if (topic === topics.deadLetters) deadLetters.push(...out)
      else throw new Error(`unexpected topic ${topic}`)
    }
    const next = BigInt(batch.messages.at(-1)!.offset) + 1n
    for (const write of result.success.changelog) {
      changelog.push({ key: write.key.toString(), value: write.value, inputOffset: next })
    }
  })
  const records = scores.map((message) => decodeRecord(JSON.parse(String(message.value))))
  return { records, deadLetters, changelog }
}

/** The offline reference: each customer's events folded one by one in arrival order. */
const offline = (events: ReadonlyArray<XpEventWire>, params: Params = defaultParams) => {
  const states = new Map<string, CustomerState>()
  const seqs: Array<{ customerId: string; seq: number; duplicate: boolean; late: boolean }> = []
  for (const wire of events) {
    const event = decodeEventOrThrow(currentRegistry, wire)
    const state = states.get(event.subject) ?? emptyState()
    states.set(event.subject, state)
    const outcome = apply(state, fromInteraction(event), params)
    seqs.push({ customerId: event.subject, seq: outcome.seq, duplicate: outcome.duplicate, late: outcome.late })
  }
  return { states, seqs }
}

const latestPerCustomer = (records: ReadonlyArray<ScoreRecord>) => {
  const latest = new Map<string, ScoreRecord>()
  for (const record of records) latest.set(record.customerId, record)
  return latest
}

const journeys = arbitraryJourney({
  customers: { min: 1, max: 8 },
  eventsPerCustomer: { min: 1, max: 30 },
  latenessMs: 6 * HOUR_MS,
  duplicateRate: 0.2
})

const arbitraryCuts = fc.array(fc.nat(400), { maxLength: 6 })

describe("scoreBatch", () => {
  it("writes one record per event, numbered 1, 2, 3, … per customer, that equals folding each customer's events offline", () => {
    fc.assert(
      fc.property(journeys, arbitraryCuts, (journey, cuts) => {
        const { records, deadLetters } = scoreInBatches(
          setupWith(),
          { customers: new Map() },
          asMessages(keyed(journey.events)),
          cuts
        )
        expect(deadLetters).toEqual([])
        const reference = offline(journey.events)
        expect(
          records.map((r) => ({
            customerId: r.customerId,
            seq: r.seq,
            duplicate: r.flags.duplicate,
            late: r.flags.late
          }))
        ).toEqual(reference.seqs)
        expect(records.filter((r) => r.flags.duplicate)).toHaveLength(journey.duplicates)
        for (const [customerId, record] of latestPerCustomer(records)) {
          const state = reference.states.get(customerId)!
          expect(record.components).toEqual(componentsOf(state, defaultParams))
          expect(record.score).toBe(scoreAt(state, record.components.tRefMs, defaultParams))
        }
      }),
      { numRuns: 150 }
    )
  })

  it("gives each record the previous record's score as previousScore, and 50 before a customer's first", () => {
    fc.assert(
      fc.property(journeys, arbitraryCuts, (journey, cuts) => {
        const { records } = scoreInBatches(
          setupWith(),
          { customers: new Map() },
          asMessages(keyed(journey.events)),
          cuts
        )
        const last = new Map<string, number>()
        for (const record of records) {
          expect(record.previousScore).toBe(last.get(record.customerId) ?? 50)
          last.set(record.customerId, record.score)
        }
      }),
      { numRuns: 100 }
    )
  })

  it("continues bit-identically from a partition restored from its changelog, wherever the stream was cut", () => {
    fc.assert(
      fc.property(journeys, arbitraryCuts, fc.nat(400), (journey, cuts, restartAt) => {
        const messages = asMessages(keyed(journey.events))
        const uninterrupted = scoreInBatches(setupWith(), { customers: new Map() }, messages, cuts)
        const cut = Math.min(restartAt, messages.length)
        const before = scoreInBatches(setupWith(), { customers: new Map() }, messages.slice(0, cut), cuts)
        const entries = new Map<string, ChangelogEntry>()
        for (const write of before.changelog) {
          entries.delete(write.key)
          entries.set(write.key, { value: write.value, inputOffset: write.inputOffset })
        }
        const restored = restorePartition(setupWith(), 0, entries)
        if (Result.isFailure(restored)) throw restored.failure
        const after = scoreInBatches(
          setupWith(),
          restored.success,
          messages.slice(cut),
          cuts.map((c) => c - cut)
        )
        expect([...before.records, ...after.records]).toEqual(uninterrupted.records)
      }),
      { numRuns: 100 }
    )
  })

  it("gives a shuffled stream within the allowed lateness the same final scores as the stream in event-time order", () => {
    fc.assert(
      fc.property(
        arbitraryJourney({
          customers: { min: 1, max: 5 },
          eventsPerCustomer: { min: 2, max: 25 },
          latenessMs: 20 * HOUR_MS
        }),
        (journey) => {
          const sorted = latestPerCustomer(
            scoreInBatches(setupWith(), { customers: new Map() }, asMessages(keyed(journey.distinct)), []).records
          )
          const shuffled = latestPerCustomer(
            scoreInBatches(setupWith(), { customers: new Map() }, asMessages(keyed(journey.events)), []).records
          )
          for (const [customerId, record] of sorted) {
            const other = shuffled.get(customerId)!
            expect(Math.abs(other.score - record.score)).toBeLessThanOrEqual(
              1e-12 * Math.max(1, Math.abs(record.score))
            )
            expect(other.components.tRefMs).toBe(record.components.tRefMs)
          }
        }
      ),
      { numRuns: 100 }
    )
  })

  it("dead-letters every invalid record with its original bytes and reason, and scores every valid one", () => {
    fc.assert(
      fc.property(
        journeys,
        fc.array(fc.tuple(fc.nat(), arbitraryInvalidRecord), { minLength: 1, maxLength: 20 }),
        (journey, invalid) => {
          const records: Array<{ key: string | null; value: string | Uint8Array | null }> = keyed(journey.events)
          const inserted = new Set<number>()
          for (const [at, sample] of invalid) {
            const index = at % (records.length + 1)
            records.splice(index, 0, { key: sample.subject, value: sample.raw })
          }
          const messages = asMessages(records)
          for (const [i, record] of records.entries()) {
            if (invalid.some(([, sample]) => sample.raw === record.value)) inserted.add(i)
          }
          const { records: scores, deadLetters } = scoreInBatches(setupWith(), { customers: new Map() }, messages, [])
          expect(scores).toHaveLength(journey.events.length)
          expect(deadLetters).toHaveLength(invalid.length)
          for (const letter of deadLetters) {
            const headers = headersAsText(letter.headers)
            const offset = Number(headers[deadLetterHeaderNames.sourceOffset])
            expect(inserted.has(offset)).toBe(true)
            expect(letter.value).toBe(messages[offset]!.value)
            expect(letter.key).toBe(messages[offset]!.key)
            expect(headers["content-type"]).toBe(CLOUDEVENTS_CONTENT_TYPE)
            expect(headers).toMatchObject({
              [deadLetterHeaderNames.step]: "decode",
              [deadLetterHeaderNames.sourceTopic]: topics.interactions,
              [deadLetterHeaderNames.sourcePartition]: "0",
              [deadLetterHeaderNames.consumerGroup]: "scorer-test",
              [deadLetterHeaderNames.time]: "2025-01-01T00:00:00.000Z"
            })
            expect(headers[deadLetterHeaderNames.reason]).toMatch(/^[^:]+: [a-z0-9-]+: .+/)
          }
        }
      ),
      { numRuns: 100 }
    )
  })

  it("flags an event beyond the allowed lateness as late and an unknown issue's resolution as an orphan", () => {
    const at = (iso: string, id: string, extra: object) => ({
      ...validSamples.touchpoint,
      subject: "erin",
      id,
      time: iso,
      ...extra
    })
    const events = [
      at("2024-05-03T12:00:00.000Z", "t-1", {}),
      // 48 hours before the latest event: beyond the 24 hours of allowed lateness
      at("2024-05-01T12:00:00.000Z", "t-2", { data: { quality: -0.5 } }),
      at("2024-05-03T13:00:00.000Z", "r-1", {
        type: "xp.issue.resolved.v1",
        data: { issueId: "never-opened", quality: 0.9, withinSla: true }
      })
    ]
    const setup = setupWith()
    const result = scoreBatch(
      setup,
      { customers: new Map() },
      {
        topic: topics.interactions,
        partition: 0,
        messages: asMessages(events.map((event) => ({ key: "erin", value: JSON.stringify(event) })))
      }
    )
    if (Result.isFailure(result)) throw result.failure
    const records = result.success.topicMessages[0]!.messages.map((m) => decodeRecord(JSON.parse(String(m.value))))
    expect(records.map((r) => [r.seq, r.flags.late, r.flags.orphanResolution])).toEqual([
      [1, false, false],
      [2, true, false],
      [3, false, true]
    ])
    expect(records[1]!.impression).toBe(-1)
    expect(records[1]!.components.sNeg).toBeLessThan(0)
    expect(records[2]!.impression).toBeNull()
    expect(result.success.stats).toMatchObject({ records: 3, applied: 3, late: 1, orphanResolutions: 1, duplicates: 0 })
  })

  it("dead-letters a valid event whose key is not its subject, and a record without a value", () => {
    const event = { ...validSamples.touchpoint, subject: "alice" }
    const { records, deadLetters } = scoreInBatches(
      setupWith(),
      { customers: new Map() },
      asMessages([
        { key: "bob", value: JSON.stringify(event) },
        { key: null, value: JSON.stringify(event) },
        { key: "alice", value: null },
        { key: "alice", value: JSON.stringify(event) }
      ]),
      []
    )
    expect(records.map((r) => r.customerId)).toEqual(["alice"])
    expect(deadLetters.map((letter) => headersAsText(letter.headers)[deadLetterHeaderNames.rule])).toEqual([
      "key-mismatch",
      "key-mismatch",
      "json"
    ])
    expect(headersAsText(deadLetters[0]!.headers)[deadLetterHeaderNames.step]).toBe("route")
  })

  it("stops, committing nothing, when a batch takes the invalid share above the ceiling; 10 % poison flows", () => {
    const valid = Array.from({ length: 270 }, (_, i) => ({
      key: "carol",
      value: JSON.stringify({ ...validSamples.survey, subject: "carol", id: `s-${i}` })
    }))
    const poison = Array.from({ length: 30 }, () => ({ key: "carol", value: "{not json" }))
    const tenPercent = scoreBatch(
      setupWith({ guard: new InvalidRatioGuard(0.25, 1_000) }),
      { customers: new Map() },
      {
        topic: topics.interactions,
        partition: 0,
        messages: asMessages([...valid, ...poison])
      }
    )
    expect(Result.isSuccess(tenPercent)).toBe(true)

    const broken = scoreBatch(
      setupWith({ guard: new InvalidRatioGuard(0.25, 1_000) }),
      { customers: new Map() },
      {
        topic: topics.interactions,
        partition: 3,
        messages: asMessages([...valid.slice(0, 100), ...Array.from({ length: 200 }, () => poison[0]!)], 1_000)
      }
    )
    expect(Result.isFailure(broken)).toBe(true)
    const error = Result.getFailure(broken)
    expect(error._tag === "Some" && error.value.message).toContain("200 of the last 300 records (66.7%) are invalid")
    expect(error._tag === "Some" && error.value.message).toContain("partition 3, offsets 1000–1299")
  })

  it("reads events in the versions of the registry it is given: touchpoint v2 scored, and dead-lettered by an older reader", () => {
    fc.assert(
      fc.property(fc.array(arbitraryTouchpointV2Wire, { minLength: 1, maxLength: 10 }), (events) => {
        const unique = events.map((event, i) => ({ ...event, id: `v2-${i}` }))
        const messages = asMessages(keyed(unique as unknown as ReadonlyArray<XpEventWire>))
        const newer = scoreInBatches(
          setupWith({ registry: registryWithTouchpointV2 }),
          { customers: new Map() },
          messages,
          []
        )
        expect(newer.records).toHaveLength(unique.length)
        expect(newer.records.every((r) => r.eventType === "xp.touchpoint.v2")).toBe(true)
        const older = scoreInBatches(setupWith(), { customers: new Map() }, messages, [])
        expect(older.records).toEqual([])
        expect(older.deadLetters.map((letter) => headersAsText(letter.headers)[deadLetterHeaderNames.rule])).toEqual(
          unique.map(() => "unknown-version")
        )
      }),
      { numRuns: 30 }
    )
  })
})

describe("restorePartition", () => {
  it("names the customer whose changelog state cannot be read", () => {
    const restored = restorePartition(
      setupWith(),
      2,
      new Map([["dave", { value: Buffer.from([0xff, 0x00]), inputOffset: 5n }]])
    )
    const error = Result.getFailure(restored)
    expect(error._tag === "Some" && error.value.message).toContain(`customer "dave" in test.scorer-state partition 2`)
  })
})
