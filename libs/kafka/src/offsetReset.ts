import { Effect, Schema } from "effect"
import type { Admin } from "kafkajs"

/**
 * Where a consumer group's offsets are moved to, as Kafka's
 * `kafka-consumer-groups --reset-offsets` and Kafka Streams' reset tool do:
 * the first offset still in the log, an absolute offset, or the first record
 * written at or after a time (Kafka record timestamps: when the producer sent
 * it, not the event time inside).
 */
export type OffsetResetTarget =
  | { readonly _tag: "Earliest" }
  | { readonly _tag: "Offset"; readonly offset: number }
  | { readonly _tag: "Time"; readonly timeMs: number }

/** One partition of a topic as a group sees it. */
export interface PartitionPosition {
  readonly topic: string
  readonly partition: number
  /** the group's committed offset (the next record it reads); null when it has committed none here */
  readonly committed: number | null
  readonly logStartOffset: number
  /** the high watermark: the offset the next record written will get */
  readonly endOffset: number
}

/** A partition's move: from where the group reads now to where it will read. */
export interface PlannedOffset extends PartitionPosition {
  /** where the group reads next today: its committed offset, else the log start (xpscore's consumers start at the beginning) */
  readonly current: number
  /** where it reads next after the reset, within [log start, end] */
  readonly next: number
  /**
   * current − next: how many offsets the group reads again (positive) or
   * skips (negative). On a transactional topic this counts the commit
   * markers between them too.
   */
  readonly replayed: number
}

/** A consumer group's members, as the coordinator reports them. */
export interface GroupMembership {
  readonly groupId: string
  /** Empty (no members), Stable, PreparingRebalance, CompletingRebalance, Dead (unknown group) */
  readonly state: string
  readonly members: ReadonlyArray<{ readonly clientId: string; readonly clientHost: string }>
}

export class OffsetResetFailed extends Schema.TaggedError<OffsetResetFailed>()("OffsetResetFailed", {
  operation: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Kafka could not ${this.operation}: ${this.reason}`
  }
}

/** Offsets are only moved while nobody consumes: a live member would overwrite them with its next commit. */
export class GroupHasMembers extends Schema.TaggedError<GroupHasMembers>()("GroupHasMembers", {
  groupId: Schema.String,
  state: Schema.String,
  members: Schema.Array(Schema.String)
}) {
  override get message() {
    return `consumer group ${this.groupId} has ${this.members.length} live member${this.members.length === 1 ? "" : "s"} (${this.members.join(", ")}; state ${this.state}): stop them first, offsets can only be reset while nobody consumes`
  }
}

const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

const call = <A>(operation: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new OffsetResetFailed({ operation, reason: reasonOf(cause) }) })

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`

/** The offset a {@link OffsetResetTarget} of kind Time resolved to, per partition (from {@link offsetsAtTime}). */
export type TimeOffsets = ReadonlyMap<string, number>

export const timeOffsetKey = key

/**
 * Where each partition goes. Pure: the positions and, for a time target, the
 * offsets the broker resolved the time to. A target outside a partition's
 * log is clamped to it, as Kafka's tool does.
 */
export const planOffsetReset = (
  positions: ReadonlyArray<PartitionPosition>,
  target: OffsetResetTarget,
  timeOffsets: TimeOffsets = new Map()
): ReadonlyArray<PlannedOffset> =>
  positions.map((position) => {
    const current = Math.max(position.committed ?? position.logStartOffset, position.logStartOffset)
    const wanted =
      target._tag === "Earliest"
        ? position.logStartOffset
        : target._tag === "Offset"
          ? target.offset
          : (timeOffsets.get(key(position.topic, position.partition)) ?? position.endOffset)
    const next = Math.min(Math.max(wanted, position.logStartOffset), position.endOffset)
    return { ...position, current, next, replayed: current - next }
  })

/** The group's state and members. */
export const groupMembership = (admin: Admin, groupId: string) =>
  call(`describe consumer group ${groupId}`, () => admin.describeGroups([groupId])).pipe(
    Effect.map(({ groups }): GroupMembership => {
      const group = groups.find((g) => g.groupId === groupId)
      return {
        groupId,
        state: group?.state ?? "Dead",
        members: (group?.members ?? []).map((member) => ({ clientId: member.clientId, clientHost: member.clientHost }))
      }
    })
  )

/** Fails with {@link GroupHasMembers} unless the group has no live member. */
export const requireNoMembers = (admin: Admin, groupId: string) =>
  Effect.gen(function* () {
    const membership = yield* groupMembership(admin, groupId)
    if (membership.members.length > 0) {
      return yield* new GroupHasMembers({
        groupId,
        state: membership.state,
        members: membership.members.map((member) => `${member.clientId}@${member.clientHost}`)
      })
    }
    return membership
  })

/** A topic and, optionally, some of its partitions (default: all). */
export interface TopicSelection {
  readonly topic: string
  readonly partitions?: ReadonlyArray<number>
}

/** The chosen partitions with the group's committed offsets and the log's bounds. */
export const groupPositions = (admin: Admin, groupId: string, selections: ReadonlyArray<TopicSelection>) =>
  Effect.gen(function* () {
    const existing = new Set(yield* call("list topics", () => admin.listTopics()))
    const missing = selections.filter((s) => !existing.has(s.topic)).map((s) => s.topic)
    if (missing.length > 0) {
      return yield* new OffsetResetFailed({
        operation: `reset offsets of ${missing.join(", ")}`,
        reason: "no such topic"
      })
    }
    const positions: Array<PartitionPosition> = []
    for (const selection of selections) {
      const bounds = yield* call(`read the offsets of ${selection.topic}`, () =>
        admin.fetchTopicOffsets(selection.topic)
      )
      const [committed] = yield* call(`read the offsets of group ${groupId}`, () =>
        admin.fetchOffsets({ groupId, topics: [selection.topic] })
      )
      const unknown = (selection.partitions ?? []).filter((p) => !bounds.some((b) => b.partition === p))
      if (unknown.length > 0) {
        return yield* new OffsetResetFailed({
          operation: `reset offsets of ${selection.topic}`,
          reason: `it has no partition ${unknown.join(", ")} (partitions 0 to ${bounds.length - 1})`
        })
      }
      for (const bound of [...bounds].sort((a, b) => a.partition - b.partition)) {
        if (selection.partitions !== undefined && !selection.partitions.includes(bound.partition)) continue
        const raw = committed?.partitions.find((p) => p.partition === bound.partition)?.offset
        positions.push({
          topic: selection.topic,
          partition: bound.partition,
          committed: raw === undefined || Number(raw) < 0 ? null : Number(raw),
          logStartOffset: Number(bound.low),
          endOffset: Number(bound.high)
        })
      }
    }
    return positions
  })

/** Per partition of the topics, the first offset written at or after `timeMs` (the end where there is none). */
export const offsetsAtTime = (admin: Admin, topics: ReadonlyArray<string>, timeMs: number) =>
  Effect.gen(function* () {
    const offsets = new Map<string, number>()
    for (const topic of new Set(topics)) {
      const found = yield* call(`find the offsets of ${topic} at ${new Date(timeMs).toISOString()}`, () =>
        admin.fetchTopicOffsetsByTimestamp(topic, timeMs)
      )
      for (const { partition, offset } of found) offsets.set(key(topic, partition), Number(offset))
    }
    return offsets as TimeOffsets
  })

/**
 * Commits the planned offsets for the group (which must have no members),
 * then reads them back: the result is what the group will read from.
 */
export const commitPlannedOffsets = (admin: Admin, groupId: string, planned: ReadonlyArray<PlannedOffset>) =>
  Effect.gen(function* () {
    yield* requireNoMembers(admin, groupId)
    const byTopic = new Map<string, Array<PlannedOffset>>()
    for (const p of planned) byTopic.set(p.topic, [...(byTopic.get(p.topic) ?? []), p])
    for (const [topic, partitions] of byTopic) {
      yield* call(`set the offsets of group ${groupId} on ${topic}`, () =>
        admin.setOffsets({
          groupId,
          topic,
          partitions: partitions.map((p) => ({ partition: p.partition, offset: String(p.next) }))
        })
      )
    }
    const after = yield* groupPositions(
      admin,
      groupId,
      [...byTopic].map(([topic, partitions]) => ({ topic, partitions: partitions.map((p) => p.partition) }))
    )
    const wrong = planned.filter(
      (p) => after.find((a) => a.topic === p.topic && a.partition === p.partition)?.committed !== p.next
    )
    if (wrong.length > 0) {
      return yield* new OffsetResetFailed({
        operation: `reset the offsets of group ${groupId}`,
        reason: `read back differently for ${wrong.map((p) => `${p.topic}[${p.partition}]`).join(", ")} (did a member join meanwhile?)`
      })
    }
    return after
  })
