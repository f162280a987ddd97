import {
  biViews,
  ClickHouse,
  migrate,
  type ProjectionCounts,
  projectionCounts,
  sqlQualified
} from "@xpscore/clickhouse"
import { requireNoMembers, type TopicNames } from "@xpscore/kafka"
import { Effect, Layer } from "effect"
import type { Kafka } from "kafkajs"
import { endOffsets, waitUntilCaughtUp } from "./groupCatchUp.ts"
import { clickHouseOnDatabase, fileLogsLayer, settingsLayer, startPipeline } from "./inProcessPipeline.ts"
import { withAdmin } from "./kafkaAdmin.ts"
import { type CandidateNamespace, candidateSettings } from "./modelVersionNamespace.ts"

/**
 * `xpscore replay --model-version <params>`: re-scores the whole
 * interactions topic with other model parameters into the candidate's own
 * topics and database (modelVersionNamespace.ts), with a scorer and a
 * projector in this process, until both have caught up with the
 * interactions as they were when it started. Nothing of the deployment
 * changes; the two databases can then be compared side by side.
 */
export interface ModelVersionPlan {
  readonly candidate: CandidateNamespace
  readonly modelVersion: string
  readonly paramsFile: string
  readonly liveDatabase: string
  readonly interactions: string
  /** records of the interactions topic to score */
  readonly records: number
}

export interface ModelVersionResult extends ModelVersionPlan {
  readonly counts: ProjectionCounts
  readonly comparison: ReadonlyArray<ScoreDifference>
  readonly compareSql: string
  readonly elapsedMs: number
}

export interface ScoreDifference {
  readonly customerId: string
  readonly live: number
  readonly candidate: number
  readonly difference: number
}

/**
 * The SQL that puts the two models' current scores side by side, biggest
 * differences first. Runs on 18.16 (ALL INNER JOIN … USING, renamed columns
 * in subqueries) and on current releases alike.
 */
export const compareScoresSql = (liveDatabase: string, candidateDatabase: string, limit = 20) =>
  `SELECT customer_id, live_score, candidate_score, candidate_score - live_score AS difference
FROM (SELECT customer_id, score AS live_score FROM ${sqlQualified(liveDatabase, biViews.currentScores).replaceAll("`", "")})
ALL INNER JOIN (SELECT customer_id, score AS candidate_score FROM ${sqlQualified(candidateDatabase, biViews.currentScores).replaceAll("`", "")}) USING customer_id
ORDER BY abs(difference) DESC, customer_id
LIMIT ${limit}`

export const replayModelVersion = (options: {
  readonly kafka: Kafka
  readonly plan: ModelVersionPlan
  readonly logFile: string
}) =>
  Effect.gen(function* () {
    const startedMs = performance.now()
    const { kafka, plan } = options
    const { candidate } = plan
    yield* withAdmin(kafka, (admin) =>
      Effect.all([requireNoMembers(admin, candidate.scorerGroup), requireNoMembers(admin, candidate.projectorGroup)])
    )
    yield* migrate.pipe(Effect.provide(clickHouseOnDatabase(candidate.database)))
    yield* Effect.scoped(
      Effect.gen(function* () {
        const ends = yield* withAdmin(kafka, (admin) => endOffsets(admin, [plan.interactions]))
        const pipeline = yield* startPipeline({ scorer: true, projector: true }).pipe(
          Effect.provide(
            Layer.mergeAll(
              clickHouseOnDatabase(candidate.database),
              settingsLayer({
                ...candidateSettings(candidate, plan.paramsFile),
                XPSCORE_SCORER_HTTP_HOST: "127.0.0.1",
                XPSCORE_SCORER_HTTP_PORT: "0",
                XPSCORE_PROJECTOR_HTTP_HOST: "127.0.0.1",
                XPSCORE_PROJECTOR_HTTP_PORT: "0",
                XPSCORE_PROJECTOR_BATCH_MS: "300"
              }),
              fileLogsLayer(options.logFile)
            )
          )
        )
        const hint = `the services' log is ${options.logFile}`
        yield* withAdmin(kafka, (admin) =>
          Effect.gen(function* () {
            yield* waitUntilCaughtUp({
              admin,
              groupId: candidate.scorerGroup,
              topics: [plan.interactions],
              ends,
              label: "score  ",
              hint
            })
            yield* waitUntilCaughtUp({
              admin,
              groupId: candidate.projectorGroup,
              topics: [candidate.topics.scores, plan.interactions],
              label: "project",
              hint
            })
          })
        ).pipe(Effect.raceFirst(pipeline.failed))
      })
    )
    const clickhouse = yield* ClickHouse
    const compareSql = compareScoresSql(plan.liveDatabase, candidate.database)
    // the live database may hold no projection (a deployment without one): then there is nothing to compare yet
    const rows = yield* clickhouse
      .query<{
        customer_id: string
        live_score: number
        candidate_score: number
        difference: number
      }>(compareSql)
      .pipe(Effect.orElseSucceed(() => []))
    return {
      ...plan,
      counts: yield* projectionCounts(candidate.database),
      comparison: rows.map((row) => ({
        customerId: row.customer_id,
        live: Number(row.live_score),
        candidate: Number(row.candidate_score),
        difference: Number(row.difference)
      })),
      compareSql,
      elapsedMs: performance.now() - startedMs
    } satisfies ModelVersionResult
  })

/** The plan's topics, for the command's text. */
export const candidateTopicsText = (topics: TopicNames) =>
  `${topics.scores}, ${topics.scorerState}, ${topics.deadLetters}`
