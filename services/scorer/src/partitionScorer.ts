import { type DeadLetterReason, type EventDecoder, keyMismatch, type XpEvent } from "@xpscore/events"
import {
  type BatchOutput,
  type ChangelogEntry,
  type ChangelogWrite,
  deadLetterMessage,
  type InputBatch,
  type PartitionProcessor,
  type TopicNames
} from "@xpscore/kafka"
import {
  applyInto,
  type CustomerState,
  componentsOf,
  deserializeState,
  emptyState,
  fromInteraction,
  newOutcome,
  type Params,
  serializeState,
  termsFromComponents
} from "@xpscore/scoring"
import { Effect, Result, Schema } from "effect"
import type { Message } from "kafkajs"
import { InvalidRatioExceeded, type InvalidRatioGuard } from "./invalidRatioGuard.ts"
import { scoreRecordWriter } from "./scoreRecordJson.ts"

/**
 * The customers of one input partition: each one's state and nothing else,
 * since a scorer holds every customer it has seen. The score of the last
 * record (the next record's previousScore) is the state's score at its
 * latest event, computed again when needed; records are keyed by the
 * customer id the map already holds.
 */
export interface PartitionState {
  readonly customers: Map<string, CustomerState>
}

/**
 * The score of the record a state's last event produced (50 before any): for
 * a customer's first record in a batch (later ones take the score just
 * written).
 */
const lastScore = (state: CustomerState, params: Params): number => {
  if (state.seq === 0) return 50
  const components = componentsOf(state, params)
  return termsFromComponents(components, params, components.tRefMs).score
}

/** What one committed batch did, for metrics and logs. */
export interface BatchStats {
  readonly records: number
  readonly applied: number
  readonly duplicates: number
  readonly late: number
  readonly orphanResolutions: number
  readonly scoreRecords: number
  readonly customersTouched: number
  /** dead letters by `step:rule` */
  readonly deadLetters: ReadonlyMap<string, number>
  readonly deadLettered: number
  /** the first dead letter of the batch, for the log: its offset, key (the customer, if the producer keyed it so) and reason */
  readonly firstDeadLetter:
    | { readonly offset: string; readonly key: string | null; readonly reason: string }
    | undefined
}

export class StateUnreadable extends Schema.TaggedError<StateUnreadable>()("StateUnreadable", {
  topic: Schema.String,
  partition: Schema.Int,
  customerId: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `the state of customer ${JSON.stringify(this.customerId)} in ${this.topic} partition ${this.partition} cannot be read: ${this.reason}`
  }
}

export interface ScorerSetup {
  readonly decoder: EventDecoder["Service"]
  readonly params: Params
  readonly topics: TopicNames
  readonly groupId: string
  readonly guard: InvalidRatioGuard
  /** the wall clock, for the time a dead letter was written (never for a score) */
  readonly nowMs: () => number
}

const NO_VALUE: DeadLetterReason = {
  step: "decode",
  path: "$",
  rule: "json",
  detail: "the record has no value (a tombstone); expected a CloudEvent"
}

const reasonText = (reason: DeadLetterReason) => `${reason.path}: ${reason.rule}: ${reason.detail}`

/**
 * Scores the batches of one partition: decode, fold, one score record per
 * event (duplicates and late events included, flagged), the new state of
 * each customer the batch touched, a dead letter for each record that is
 * not a valid event under its customer's key. Synchronous and allocation-
 * lean: the transactional processor runs it as one Effect per batch.
 */
export const scoreBatch = (
  setup: ScorerSetup,
  state: PartitionState,
  batch: InputBatch
): Result.Result<BatchOutput<BatchStats>, InvalidRatioExceeded> => {
  const { decoder, params, topics } = setup
  const writer = writerFor(params)
  const customers = state.customers
  const scores: Array<Message> = []
  const deadLetters: Array<Message> = []
  /** the customers this batch touched, with the score of the last record written for each */
  const touched = new Map<string, number>()
  const deadLetterCounts = new Map<string, number>()
  let firstDeadLetter: BatchStats["firstDeadLetter"]
  let applied = 0
  let duplicates = 0
  let late = 0
  let orphanResolutions = 0
  const nowMs = setup.nowMs()
  const outcome = newOutcome()
  const origin = { topic: batch.topic, partition: batch.partition, consumerGroup: setup.groupId }
  const deadLetter = (message: InputBatch["messages"][number], reason: DeadLetterReason) => {
    deadLetters.push(deadLetterMessage(origin, message, reason, nowMs))
    const key = `${reason.step}:${reason.rule}`
    deadLetterCounts.set(key, (deadLetterCounts.get(key) ?? 0) + 1)
    firstDeadLetter ??= {
      offset: message.offset,
      key: message.key === null ? null : message.key.toString("utf8").slice(0, 256),
      reason: reasonText(reason)
    }
  }

  for (const message of batch.messages) {
    if (message.value === null) {
      deadLetter(message, NO_VALUE)
      continue
    }
    const decoded = decoder.decode(message.value)
    if (Result.isFailure(decoded)) {
      const { path, rule, detail } = decoded.failure
      deadLetter(message, { step: "decode", path, rule, detail })
      continue
    }
    const event: XpEvent = decoded.success
    const customerId = event.subject
    const key = message.key === null ? null : message.key.toString("utf8")
    if (key !== customerId) {
      deadLetter(message, keyMismatch(key, customerId))
      continue
    }
    let customer = customers.get(customerId)
    if (customer === undefined) {
      customer = emptyState()
      customers.set(customerId, customer)
    }
    const previousScore = touched.get(customerId) ?? lastScore(customer, params)
    applyInto(customer, fromInteraction(event), params, outcome)
    const components = componentsOf(customer, params)
    const terms = termsFromComponents(components, params, components.tRefMs)
    touched.set(customerId, terms.score)
    if (outcome.applied) applied++
    if (outcome.duplicate) duplicates++
    if (outcome.late) late++
    if (outcome.orphanResolution) orphanResolutions++
    const json = writer.write({
      customerId,
      seq: outcome.seq,
      eventId: event.id,
      eventSource: event.source,
      eventType: event.type,
      eventTimeMs: event.timeMs,
      channel: event.channel,
      segment: event.segment,
      score: terms.score,
      previousScore,
      index: terms.index,
      impression: outcome.v,
      recovery: outcome.recovery,
      late: outcome.late,
      duplicate: outcome.duplicate,
      orphanResolution: outcome.orphanResolution,
      components
    })
    scores.push({ key: customerId, value: Buffer.from(json) })
  }

  const exceeded = setup.guard.exceededWith(batch.messages.length, deadLetters.length)
  if (exceeded !== undefined) {
    return Result.fail(
      new InvalidRatioExceeded({
        ...exceeded,
        maxRatio: setup.guard.maxRatio,
        topic: batch.topic,
        partition: batch.partition,
        firstOffset: batch.messages[0]!.offset,
        lastOffset: batch.messages[batch.messages.length - 1]!.offset,
        example: firstDeadLetter?.reason ?? "none"
      })
    )
  }

  const changelog = new Array<ChangelogWrite>(touched.size)
  let i = 0
  for (const customerId of touched.keys()) {
    const bytes = serializeState(customers.get(customerId)!)
    changelog[i++] = { key: customerId, value: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) }
  }
  const topicMessages = [{ topic: topics.scores, messages: scores }]
  if (deadLetters.length > 0) topicMessages.push({ topic: topics.deadLetters, messages: deadLetters })
  return Result.succeed({
    topicMessages,
    changelog,
    stats: {
      records: batch.messages.length,
      applied,
      duplicates,
      late,
      orphanResolutions,
      scoreRecords: scores.length,
      customersTouched: touched.size,
      deadLetters: deadLetterCounts,
      deadLettered: deadLetters.length,
      firstDeadLetter
    }
  })
}

const writers = new WeakMap<Params, ReturnType<typeof scoreRecordWriter>>()
const writerFor = (params: Params) => {
  let writer = writers.get(params)
  if (writer === undefined) {
    writer = scoreRecordWriter(params)
    writers.set(params, writer)
  }
  return writer
}

/** A partition's customers from the latest changelog value of each. */
export const restorePartition = (
  setup: Pick<ScorerSetup, "params" | "topics">,
  partition: number,
  entries: ReadonlyMap<string, ChangelogEntry>
): Result.Result<PartitionState, StateUnreadable> => {
  const customers = new Map<string, CustomerState>()
  for (const [customerId, entry] of entries) {
    let state: CustomerState
    try {
      state = deserializeState(entry.value)
    } catch (error) {
      return Result.fail(
        new StateUnreadable({
          topic: setup.topics.scorerState,
          partition,
          customerId,
          reason: error instanceof Error ? error.message : String(error)
        })
      )
    }
    customers.set(customerId, state)
  }
  return Result.succeed({ customers })
}

/** The scorer as the transactional processor runs it. */
export const partitionScorer = (
  setup: ScorerSetup
): PartitionProcessor<PartitionState, BatchStats, InvalidRatioExceeded | StateUnreadable, never> => ({
  restore: (partition, entries) => Effect.fromResult(restorePartition(setup, partition, entries)),
  process: (state, batch) => Effect.fromResult(scoreBatch(setup, state, batch)),
  size: (state) => state.customers.size
})
