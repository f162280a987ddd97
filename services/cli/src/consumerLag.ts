import { randomUUID } from "node:crypto"
import { Effect } from "effect"
import type { Admin, Kafka } from "kafkajs"
import { adminCall, withAdmin } from "./kafkaAdmin.ts"

export interface PartitionLag {
  readonly topic: string
  readonly partition: number
  /** the group's committed offset: the next record it will read; null when it has committed none here */
  readonly committed: number | null
  /** the first offset still in the log */
  readonly logStartOffset: number
  /** the offset the next record will get (the last stable offset when a transaction is open) */
  readonly endOffset: number
  /**
   * records a read_committed consumer of the group has still to receive.
   * Not `endOffset − committed`: transaction markers take offsets but are
   * never delivered, and records of aborted transactions are skipped, so a
   * consumer that has read everything of a transactional topic stands a few
   * offsets short of the end.
   */
  readonly lag: number
  /** false when the partition was too far behind (or too slow) to count, and `lag` is `endOffset − committed` */
  readonly exact: boolean
}

export interface GroupLag {
  readonly groupId: string
  /** Stable, Empty (no members: a stopped service), PreparingRebalance, …, Dead (unknown group) */
  readonly state: string
  readonly members: number
  readonly partitions: ReadonlyArray<PartitionLag>
  readonly totalLag: number
}

export interface ConsumerLag {
  readonly groups: ReadonlyArray<GroupLag>
  /** of the topics asked about, those that do not exist */
  readonly missingTopics: ReadonlyArray<string>
}

export interface ConsumerLagOptions {
  /** the topics to report on (the groups' partitions of other topics are left out) */
  readonly topics: ReadonlyArray<string>
  /** these groups; default: every consumer group with offsets committed on `topics` */
  readonly groups?: ReadonlyArray<string>
  /** partitions further behind than this many offsets are not counted, only estimated (default 200,000) */
  readonly countUpTo?: number
  /** how long counting may take before the rest is estimated (default 15 s) */
  readonly countTimeoutMs?: number
}

/** Groups this module creates to count records; never reported, deleted after use. */
export const PROBE_GROUP_PREFIX = "xpscore-lag-probe-"

interface Range {
  readonly topic: string
  readonly partition: number
  readonly from: number
  readonly to: number
}

const key = (topic: string, partition: number) => `${topic}\u0000${partition}`

/**
 * The offsets of the records a read_committed consumer receives in each
 * range, read with a throwaway consumer group that never commits. A range is
 * finished when the consumer's position (which moves past markers and aborted
 * batches too) reaches its end; what is unfinished at the deadline is
 * missing from the result.
 */
const deliveredOffsets = (
  kafka: Kafka,
  ranges: ReadonlyArray<Range>,
  partitionsOf: ReadonlyMap<string, ReadonlyArray<number>>,
  timeoutMs: number
) =>
  Effect.callback<ReadonlyMap<string, ReadonlyArray<number>>>((resume) => {
    const groupId = `${PROBE_GROUP_PREFIX}${randomUUID()}`
    const consumer = kafka.consumer({ groupId, readUncommitted: false, maxWaitTimeInMs: 200, retry: { retries: 2 } })
    const wanted = new Map(ranges.map((range) => [key(range.topic, range.partition), range]))
    const position = new Map(ranges.map((range) => [key(range.topic, range.partition), range.from]))
    const delivered = new Map<string, Array<number>>(ranges.map((range) => [key(range.topic, range.partition), []]))
    const finished = new Set<string>()
    let settled = false
    const finish = () => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      const result = new Map([...delivered].filter(([k]) => finished.has(k)))
      void consumer
        .disconnect()
        .catch(() => undefined)
        .then(async () => {
          const admin = kafka.admin()
          await admin.connect()
          await admin.deleteGroups([groupId]).catch(() => undefined)
          await admin.disconnect()
        })
        .catch(() => undefined)
        .finally(() => resume(Effect.succeed(result)))
    }
    const timer = setTimeout(finish, timeoutMs)
    const advance = (topic: string, partition: number, next: number) => {
      const k = key(topic, partition)
      const range = wanted.get(k)
      if (range === undefined) return
      position.set(k, Math.max(position.get(k)!, next))
      if (position.get(k)! >= range.to) finished.add(k)
      if (finished.size === wanted.size) finish()
    }
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      advance(payload.topic, payload.partition, Number(payload.lastOffset) + 1)
    })
    const topics = [...new Set(ranges.map((range) => range.topic))]
    const start = async () => {
      await consumer.connect()
      await consumer.subscribe({ topics, fromBeginning: true })
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          const range = wanted.get(key(batch.topic, batch.partition))
          if (range === undefined) return
          const offsets = delivered.get(key(batch.topic, batch.partition))!
          for (const message of batch.messages) {
            const offset = Number(message.offset)
            if (offset >= range.from && offset < range.to) offsets.push(offset)
          }
        }
      })
      // only the ranges are read: the topics' other partitions stay paused
      consumer.pause(
        topics.map((topic) => ({
          topic,
          partitions: (partitionsOf.get(topic) ?? []).filter((partition) => !wanted.has(key(topic, partition)))
        }))
      )
      for (const range of ranges) {
        consumer.seek({ topic: range.topic, partition: range.partition, offset: String(range.from) })
      }
    }
    start().catch(() => finish())
    return Effect.sync(finish)
  })

const groupsWithOffsetsOn = (admin: Admin, topics: ReadonlyArray<string>) =>
  Effect.gen(function* () {
    const { groups } = yield* adminCall("list consumer groups", () => admin.listGroups())
    const candidates = groups
      .filter((group) => group.protocolType === "consumer" || group.protocolType === "")
      .map((group) => group.groupId)
      .filter((groupId) => !groupId.startsWith(PROBE_GROUP_PREFIX))
    const withOffsets = yield* Effect.forEach(
      candidates,
      (groupId) =>
        adminCall(`read the offsets of group ${groupId}`, () =>
          admin.fetchOffsets({ groupId, topics: [...topics] })
        ).pipe(
          Effect.map((offsets) =>
            offsets.some((topic) => topic.partitions.some((p) => Number(p.offset) >= 0)) ? [groupId] : []
          )
        ),
      { concurrency: 8 }
    )
    return withOffsets.flat().sort()
  })

/**
 * Per group and partition: committed offset, end offset and the records the
 * group has still to receive, counted with a read_committed fetch from the
 * committed offset (transaction markers and aborted records excluded, so a
 * fully caught-up consumer of a transactional topic shows 0).
 */
export const consumerLag = (kafka: Kafka, options: ConsumerLagOptions) =>
  withAdmin(kafka, (admin) =>
    Effect.gen(function* () {
      const existing = new Set(yield* adminCall("list topics", () => admin.listTopics()))
      const topics = options.topics.filter((topic) => existing.has(topic))
      const missingTopics = options.topics.filter((topic) => !existing.has(topic))
      if (topics.length === 0) return { groups: [], missingTopics } satisfies ConsumerLag
      const groupIds = options.groups ?? (yield* groupsWithOffsetsOn(admin, topics))
      if (groupIds.length === 0) return { groups: [], missingTopics } satisfies ConsumerLag

      const ends = new Map(
        yield* Effect.forEach(
          topics,
          (topic) =>
            adminCall(`read the end offsets of ${topic}`, () => admin.fetchTopicOffsets(topic)).pipe(
              Effect.map((offsets) => [topic, offsets] as const)
            ),
          { concurrency: 4 }
        )
      )
      const descriptions = yield* adminCall("describe the consumer groups", () => admin.describeGroups([...groupIds]))
      const committedByGroup = yield* Effect.forEach(
        groupIds,
        (groupId) =>
          adminCall(`read the offsets of group ${groupId}`, () => admin.fetchOffsets({ groupId, topics: [...topics] })),
        { concurrency: 8 }
      )

      interface Row {
        readonly groupId: string
        readonly topic: string
        readonly partition: number
        readonly committed: number | null
        readonly logStartOffset: number
        readonly endOffset: number
        readonly from: number
      }
      const rows: Array<Row> = []
      groupIds.forEach((groupId, g) => {
        for (const topic of committedByGroup[g]!) {
          // a group is reported on the topics it has committed on
          if (!topic.partitions.some((p) => Number(p.offset) >= 0)) continue
          for (const end of [...ends.get(topic.topic)!].sort((a, b) => a.partition - b.partition)) {
            const raw = topic.partitions.find((p) => p.partition === end.partition)?.offset
            const committed = raw === undefined || Number(raw) < 0 ? null : Number(raw)
            const logStartOffset = Number(end.low)
            const endOffset = Number(end.high)
            // a group without an offset here starts at the log start (xpscore's consumers read from the beginning)
            rows.push({
              groupId,
              topic: topic.topic,
              partition: end.partition,
              committed,
              logStartOffset,
              endOffset,
              from: Math.max(committed ?? logStartOffset, logStartOffset)
            })
          }
        }
      })

      const countUpTo = options.countUpTo ?? 200_000
      const ranges = new Map<string, Range>()
      for (const row of rows) {
        if (row.endOffset - row.from <= 0 || row.endOffset - row.from > countUpTo) continue
        const k = key(row.topic, row.partition)
        const known = ranges.get(k)
        ranges.set(k, {
          topic: row.topic,
          partition: row.partition,
          from: Math.min(known?.from ?? row.from, row.from),
          to: row.endOffset
        })
      }
      const partitionsOf = new Map([...ends].map(([topic, offsets]) => [topic, offsets.map((o) => o.partition)]))
      const delivered =
        ranges.size === 0
          ? new Map<string, ReadonlyArray<number>>()
          : yield* deliveredOffsets(kafka, [...ranges.values()], partitionsOf, options.countTimeoutMs ?? 15_000)

      const groups = groupIds.map((groupId): GroupLag => {
        const description = descriptions.groups.find((group) => group.groupId === groupId)
        const partitions = rows
          .filter((row) => row.groupId === groupId)
          .map((row): PartitionLag => {
            const upperBound = Math.max(0, row.endOffset - row.from)
            const offsets: ReadonlyArray<number> | undefined =
              upperBound === 0 ? [] : delivered.get(key(row.topic, row.partition))
            return {
              topic: row.topic,
              partition: row.partition,
              committed: row.committed,
              logStartOffset: row.logStartOffset,
              endOffset: row.endOffset,
              lag: offsets === undefined ? upperBound : offsets.filter((offset) => offset >= row.from).length,
              exact: offsets !== undefined
            }
          })
        return {
          groupId,
          state: description?.state ?? "Dead",
          members: description?.members.length ?? 0,
          partitions,
          totalLag: partitions.reduce((sum, p) => sum + p.lag, 0)
        }
      })
      return { groups, missingTopics } satisfies ConsumerLag
    })
  )
