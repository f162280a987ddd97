import {
  commitPlannedOffsets,
  ensureTopics,
  groupMembership,
  groupPositions,
  type OffsetResetTarget,
  offsetsAtTime,
  type PlannedOffset,
  planOffsetReset,
  requireNoMembers,
  type TopicNames,
  type TopicSelection,
  type TopicSpec
} from "@xpscore/kafka"
import { Effect, Schema } from "effect"
import type { Admin, Kafka } from "kafkajs"
import { adminCall, withAdmin } from "./kafkaAdmin.ts"

/**
 * What a consumer group is to xpscore, which decides what a reset may do:
 *
 * - a scorer group's committed offsets and its state changelog are one
 *   thing (the state holds exactly the events before the offsets). A reset
 *   must reset the state too, as Kafka Streams' reset tool deletes internal
 *   topics; and since a partial reset with the rest of the state kept would
 *   apply events twice, only a reset of every partition to the earliest
 *   offset is allowed;
 * - a projector group may be reset anywhere: the projection is idempotent by
 *   (customer, seq), so re-reading changes nothing and skipping only delays.
 */
export type GroupRole =
  | { readonly _tag: "Scorer"; readonly topics: TopicNames }
  | { readonly _tag: "Projector"; readonly topics: TopicNames }
  | { readonly _tag: "Other" }

export class ResetRefused extends Schema.TaggedError<ResetRefused>()("ResetRefused", {
  groupId: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `not resetting ${this.groupId}: ${this.reason}`
  }
}

/** The topics a group's reset applies to by default. */
export const defaultTopicsOf = (role: GroupRole): ReadonlyArray<string> =>
  role._tag === "Scorer"
    ? [role.topics.interactions]
    : role._tag === "Projector"
      ? [role.topics.scores, role.topics.interactions]
      : []

/** Refuses what would let a scorer apply events twice (see {@link GroupRole}). */
export const checkReset = (
  groupId: string,
  role: GroupRole,
  target: OffsetResetTarget,
  selections: ReadonlyArray<TopicSelection>
) => {
  if (role._tag !== "Scorer") return Effect.void
  const refuse = (reason: string) => Effect.fail(new ResetRefused({ groupId, reason }))
  if (target._tag !== "Earliest") {
    return refuse(
      "a scorer group can only be reset --to-earliest: its state changelog holds every event before its offsets, and a reset " +
        "elsewhere with that state kept would apply events twice (or, with the state deleted, score from a partial history). " +
        "Reset it --to-earliest (the changelog is recreated and everything re-scored), or re-score into a new model version " +
        "with --model-version"
    )
  }
  const others = selections.filter((s) => s.topic !== role.topics.interactions)
  if (others.length > 0) {
    return refuse(`a scorer group reads ${role.topics.interactions} only, not ${others.map((s) => s.topic).join(", ")}`)
  }
  if (selections.some((s) => s.partitions !== undefined)) {
    return refuse(
      "a scorer group's reset must cover every partition: the changelog is recreated as a whole, so a partition left out would lose its state"
    )
  }
  return Effect.void
}

export interface ResetPlan {
  readonly groupId: string
  readonly role: GroupRole
  readonly target: OffsetResetTarget
  readonly partitions: ReadonlyArray<PlannedOffset>
  /** the group's state and members now (a reset needs none) */
  readonly state: string
  readonly members: ReadonlyArray<string>
  /** for a scorer group: its changelog, recreated empty by the reset, and the records it holds now */
  readonly changelog: { readonly topic: string; readonly records: number } | undefined
}

const changelogRecords = (admin: Admin, topic: string) =>
  Effect.gen(function* () {
    const topics = yield* adminCall("list topics", () => admin.listTopics())
    if (!topics.includes(topic)) return 0
    const offsets = yield* adminCall(`read the offsets of ${topic}`, () => admin.fetchTopicOffsets(topic))
    return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0)
  })

/** Where every chosen partition would go, and what else the reset touches. Changes nothing. */
export const planGroupReset = (
  admin: Admin,
  groupId: string,
  role: GroupRole,
  target: OffsetResetTarget,
  selections: ReadonlyArray<TopicSelection>
) =>
  Effect.gen(function* () {
    yield* checkReset(groupId, role, target, selections)
    const positions = yield* groupPositions(admin, groupId, selections)
    const timeOffsets =
      target._tag === "Time"
        ? yield* offsetsAtTime(
            admin,
            selections.map((s) => s.topic),
            target.timeMs
          )
        : undefined
    const membership = yield* groupMembership(admin, groupId)
    return {
      groupId,
      role,
      target,
      partitions: planOffsetReset(positions, target, timeOffsets),
      state: membership.state,
      members: membership.members.map((m) => `${m.clientId}@${m.clientHost}`),
      changelog:
        role._tag === "Scorer"
          ? { topic: role.topics.scorerState, records: yield* changelogRecords(admin, role.topics.scorerState) }
          : undefined
    } satisfies ResetPlan
  })

/**
 * Deletes a changelog topic and creates it again, empty, co-partitioned with
 * the interactions as the scorer creates it.
 */
export const recreateChangelog = (kafka: Kafka, specs: ReadonlyArray<TopicSpec>, changelog: string) =>
  Effect.gen(function* () {
    yield* withAdmin(kafka, (admin) =>
      Effect.gen(function* () {
        const existing = yield* adminCall("list topics", () => admin.listTopics())
        if (existing.includes(changelog)) {
          yield* adminCall(`delete ${changelog}`, () => admin.deleteTopics({ topics: [changelog], timeout: 30_000 }))
        }
        for (let waited = 0; ; waited += 250) {
          const left = yield* adminCall("list topics", () => admin.listTopics())
          if (!left.includes(changelog)) break
          if (waited > 60_000) {
            return yield* adminCall(`delete ${changelog}`, () =>
              Promise.reject(new Error("the broker still lists it after a minute"))
            )
          }
          yield* Effect.sleep(250)
        }
      })
    )
    const spec = specs.find((s) => s.name === changelog)
    const partner = specs.find((s) => s.name === spec?.coPartitionedWith)
    yield* ensureTopics(kafka, [...(partner === undefined ? [] : [partner]), ...(spec === undefined ? [] : [spec])])
  })

/**
 * Carries the plan out, in the order that is safe if it stops half-way:
 * offsets first (a scorer restarted then finds its state ahead of its
 * offsets and refuses to run, ChangelogAheadOfOffsets), then the changelog
 * (recreated empty, so the scorer re-scores from the first event). The group
 * must have no members, checked again right before.
 */
export const executeGroupReset = (kafka: Kafka, plan: ResetPlan, specs: ReadonlyArray<TopicSpec>) =>
  Effect.gen(function* () {
    const after = yield* withAdmin(kafka, (admin) =>
      Effect.gen(function* () {
        yield* requireNoMembers(admin, plan.groupId)
        return yield* commitPlannedOffsets(admin, plan.groupId, plan.partitions)
      })
    )
    if (plan.changelog !== undefined) yield* recreateChangelog(kafka, specs, plan.changelog.topic)
    return after
  })
