import { Effect, Schema } from "effect"
import type { Admin } from "kafkajs"
import { adminCall, type KafkaAdminFailed } from "./kafkaAdmin.ts"
import { makeProgressBar } from "./progressBar.ts"
import { formatCount, formatDuration } from "./quantityFormat.ts"

/** Where a group stands against the ends of some topics. */
export interface GroupProgress {
  /** offsets committed past, counted from each partition's log start */
  readonly done: number
  /** offsets between each partition's log start and its end */
  readonly total: number
  /** every partition committed up to its end */
  readonly caughtUp: boolean
}

export class PipelineStalled extends Schema.TaggedError<PipelineStalled>()("PipelineStalled", {
  groupId: Schema.String,
  done: Schema.Int,
  total: Schema.Int,
  stalledMs: Schema.Int,
  hint: Schema.String
}) {
  override get message() {
    return `consumer group ${this.groupId} made no progress for ${formatDuration(this.stalledMs)} (${formatCount(this.done)} of ${formatCount(this.total)} offsets committed)${this.hint === "" ? "" : `; ${this.hint}`}`
  }
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`

/** Fixed end offsets per partition (from {@link endOffsets}), for a wait that must not chase a growing topic. */
export type EndOffsets = ReadonlyMap<string, { readonly low: number; readonly high: number }>

/** The current bounds of every partition of the topics. */
export const endOffsets = (admin: Admin, topics: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const ends = new Map<string, { low: number; high: number }>()
    for (const topic of topics) {
      const offsets = yield* adminCall(`read the end offsets of ${topic}`, () => admin.fetchTopicOffsets(topic))
      for (const o of offsets) ends.set(key(topic, o.partition), { low: Number(o.low), high: Number(o.high) })
    }
    return ends as EndOffsets
  })

/**
 * How far the group's committed offsets are toward the ends (the current
 * ends, or fixed ones). xpscore's consumers commit past the commit markers
 * of transactional topics too, so a caught-up group stands exactly at the end.
 */
export const groupProgress = (
  admin: Admin,
  groupId: string,
  topics: ReadonlyArray<string>,
  fixedEnds?: EndOffsets
): Effect.Effect<GroupProgress, KafkaAdminFailed> =>
  Effect.gen(function* () {
    const ends = fixedEnds ?? (yield* endOffsets(admin, topics))
    const committed = yield* adminCall(`read the offsets of group ${groupId}`, () =>
      admin.fetchOffsets({ groupId, topics: [...topics] })
    )
    const committedAt = new Map<string, number>()
    for (const topic of committed) {
      for (const p of topic.partitions) committedAt.set(key(topic.topic, p.partition), Number(p.offset))
    }
    let done = 0
    let total = 0
    let caughtUp = true
    for (const [k, { low, high }] of ends) {
      const at = Math.max(low, committedAt.get(k) ?? -1)
      done += Math.min(at, high) - low
      total += high - low
      if (at < high) caughtUp = false
    }
    return { done, total, caughtUp }
  })

export interface WaitOptions {
  readonly admin: Admin
  readonly groupId: string
  readonly topics: ReadonlyArray<string>
  /** wait for these ends (default: the topics' ends when the wait starts, so it never chases a growing topic) */
  readonly ends?: EndOffsets
  /** the progress bar's label */
  readonly label: string
  /** fail when nothing moved for this long (default 90 s) */
  readonly stallMs?: number
  /** said after the stall message: where to look */
  readonly hint?: string
  /** how often to look (default 250 ms) */
  readonly pollMs?: number
}

/**
 * Waits, with a progress bar on standard error, until the group has
 * committed everything up to the ends; fails with {@link PipelineStalled}
 * when it stops moving.
 */
export const waitUntilCaughtUp = (options: WaitOptions) =>
  Effect.gen(function* () {
    const stallMs = options.stallMs ?? 90_000
    const ends = options.ends ?? (yield* endOffsets(options.admin, options.topics))
    const first = yield* groupProgress(options.admin, options.groupId, options.topics, ends)
    const bar = makeProgressBar({ label: options.label, total: first.total, unit: "records" })
    let last = first
    let lastMoveMs = Date.now()
    while (!last.caughtUp) {
      bar.update(last.done)
      yield* Effect.sleep(options.pollMs ?? 250)
      const now = yield* groupProgress(options.admin, options.groupId, options.topics, ends)
      if (now.done !== last.done) lastMoveMs = Date.now()
      else if (Date.now() - lastMoveMs > stallMs) {
        return yield* new PipelineStalled({
          groupId: options.groupId,
          done: now.done,
          total: now.total,
          stalledMs: stallMs,
          hint: options.hint ?? ""
        })
      }
      last = now
    }
    bar.finish(last.total)
    return last
  })
