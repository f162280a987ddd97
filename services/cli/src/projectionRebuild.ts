import {
  ClickHouse,
  databaseEngine,
  dropDatabaseStatement,
  migrate,
  type ProjectionCounts,
  projectionCounts,
  shadowDatabaseOf,
  swapStatements
} from "@xpscore/clickhouse"
import { requireNoMembers, type TopicNames } from "@xpscore/kafka"
import { Effect, Layer, Schema } from "effect"
import type { Kafka } from "kafkajs"
import { type EndOffsets, endOffsets, waitUntilCaughtUp } from "./groupCatchUp.ts"
import { clickHouseOnDatabase, fileLogsLayer, settingsLayer, startPipeline } from "./inProcessPipeline.ts"
import { adminCall, withAdmin } from "./kafkaAdmin.ts"

/**
 * `xpscore replay --rebuild-projection`: blue/green for the ClickHouse
 * projection. A projector on a fresh consumer group projects the scores and
 * interactions topics from their beginning into a shadow database (the same
 * migrations), up to the topics' ends when the rebuild started; the counts
 * are checked (each customer's records 1…n without gap, the rollups counting
 * each record once, nothing fewer than the live tables hold); then the
 * rebuilt tables take the live ones' places in one step (libs/clickhouse
 * projectionSwap.ts), so BI tools reading the views never see an empty or
 * missing table. The previous tables are dropped with the shadow database.
 *
 * The live projector must be stopped meanwhile (its group must have no
 * members): it would keep writing into the tables being replaced. BI keeps
 * reading the current tables until the swap. Started again, it continues
 * from its committed offsets, and what the rebuild already projected is
 * skipped by seq.
 */
export interface RebuildPlan {
  readonly database: string
  readonly shadowDatabase: string
  readonly liveGroup: string
  readonly rebuildGroup: string
  readonly topics: ReadonlyArray<string>
  /** offsets the rebuild will project (commit markers of the transactional scores topic included) */
  readonly offsets: number
  readonly live: ProjectionCounts
}

export interface RebuildResult extends RebuildPlan {
  readonly shadow: ProjectionCounts
  readonly after: ProjectionCounts
  readonly statements: ReadonlyArray<string>
  readonly elapsedMs: number
}

export class RebuildCheckFailed extends Schema.TaggedError<RebuildCheckFailed>()("RebuildCheckFailed", {
  shadowDatabase: Schema.String,
  problems: Schema.Array(Schema.String)
}) {
  override get message() {
    return `the rebuilt projection in ${this.shadowDatabase} did not pass its checks, so the live tables were left as they are: ${this.problems.join("; ")} (the shadow database is kept for a look; the next rebuild replaces it)`
  }
}

/** What is wrong with a rebuilt projection, compared with the live one; empty when it may be swapped in. */
export const rebuildProblems = (shadow: ProjectionCounts, live: ProjectionCounts): ReadonlyArray<string> => [
  ...(shadow.seqSum === shadow.scoreRecords
    ? []
    : [
        `its score records are not numbered 1…n per customer (${shadow.scoreRecords} records, seqs sum to ${shadow.seqSum})`
      ]),
  ...(shadow.rollupRecords === shadow.scoreRecords
    ? []
    : [`its daily rollups count ${shadow.rollupRecords} records for ${shadow.scoreRecords} score records`]),
  ...(["scoreRecords", "customers", "interactions"] as const).flatMap((what) =>
    shadow[what] >= live[what] ? [] : [`it holds fewer ${what} (${shadow[what]}) than the live tables (${live[what]})`]
  )
]

const offsetsBetween = (ends: EndOffsets) => [...ends.values()].reduce((sum, e) => sum + e.high - e.low, 0)

/** What a rebuild would do, read without changing anything. */
export const planRebuild = (options: {
  readonly kafka: Kafka
  readonly topics: TopicNames
  readonly projectorGroup: string
}) =>
  Effect.gen(function* () {
    const clickhouse = yield* ClickHouse
    const database = clickhouse.target.database
    const topics = [options.topics.scores, options.topics.interactions]
    const ends = yield* withAdmin(options.kafka, (admin) => endOffsets(admin, topics))
    return {
      database,
      shadowDatabase: shadowDatabaseOf(database),
      liveGroup: options.projectorGroup,
      rebuildGroup: `${options.projectorGroup}.rebuild-${Date.now()}`,
      topics,
      offsets: offsetsBetween(ends),
      live: yield* projectionCounts(database)
    } satisfies RebuildPlan
  })

export const rebuildProjection = (options: {
  readonly kafka: Kafka
  readonly topics: TopicNames
  readonly projectorGroup: string
  readonly logFile: string
}) =>
  Effect.gen(function* () {
    const startedMs = performance.now()
    const plan = yield* planRebuild(options)
    const { kafka } = options
    const clickhouse = yield* ClickHouse
    yield* withAdmin(kafka, (admin) => requireNoMembers(admin, plan.liveGroup))

    // a fresh shadow: the same migrations the live database has
    yield* clickhouse.command(dropDatabaseStatement(plan.shadowDatabase))
    yield* migrate.pipe(Effect.provide(clickHouseOnDatabase(plan.shadowDatabase)))

    yield* Effect.scoped(
      Effect.gen(function* () {
        const ends = yield* withAdmin(kafka, (admin) => endOffsets(admin, plan.topics))
        const pipeline = yield* startPipeline({ scorer: false, projector: true }).pipe(
          Effect.provide(
            Layer.mergeAll(
              clickHouseOnDatabase(plan.shadowDatabase),
              settingsLayer({
                XPSCORE_PROJECTOR_GROUP_ID: plan.rebuildGroup,
                XPSCORE_PROJECTOR_HTTP_HOST: "127.0.0.1",
                XPSCORE_PROJECTOR_HTTP_PORT: "0"
              }),
              fileLogsLayer(options.logFile)
            )
          )
        )
        yield* withAdmin(kafka, (admin) =>
          waitUntilCaughtUp({
            admin,
            groupId: plan.rebuildGroup,
            topics: plan.topics,
            ends,
            label: "rebuild",
            hint: `the projector's log is ${options.logFile}`
          })
        ).pipe(Effect.raceFirst(pipeline.failed))
      })
    )

    const shadow = yield* projectionCounts(plan.shadowDatabase)
    const live = yield* projectionCounts(plan.database)
    const problems = rebuildProblems(shadow, live)
    if (problems.length > 0) return yield* new RebuildCheckFailed({ shadowDatabase: plan.shadowDatabase, problems })

    yield* withAdmin(kafka, (admin) => requireNoMembers(admin, plan.liveGroup))
    const engine = yield* databaseEngine(plan.database)
    const statements = swapStatements(engine ?? "Ordinary", plan.database, plan.shadowDatabase)
    for (const statement of statements) yield* clickhouse.command(statement)
    const after = yield* projectionCounts(plan.database)
    yield* clickhouse.command(dropDatabaseStatement(plan.shadowDatabase))
    yield* withAdmin(kafka, (admin) =>
      adminCall(`delete the rebuild's consumer group ${plan.rebuildGroup}`, () =>
        admin.deleteGroups([plan.rebuildGroup])
      ).pipe(Effect.ignore)
    )
    return {
      ...plan,
      live,
      shadow,
      after,
      statements,
      elapsedMs: performance.now() - startedMs
    } satisfies RebuildResult
  })
