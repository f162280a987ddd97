import { NodeServices } from "@effect/platform-node"
import { ClickHouse, dropDatabaseStatement, projectionCounts, type Row, sqlQualified } from "@xpscore/clickhouse"
import { Effect, Exit, Fiber, Layer, ManagedRuntime, References, Scope } from "effect"
import { describe, expect, it } from "vitest"
import { embeddedTarget } from "../../../test/harness/index.ts"
import { settingsLayer, startPipeline } from "../src/inProcessPipeline.ts"
import { rebuildProjection } from "../src/projectionRebuild.ts"
import {
  freshDeployment,
  scratchFile,
  simulate,
  simulationFlags,
  startService,
  suiteKafka,
  waitCaughtUp
} from "./pipelineFixture.ts"

const { kafka, admin } = suiteKafka("rebuild-embedded-test")

describe("xpscore replay --rebuild-projection (embedded ClickHouse, EXCHANGE TABLES)", () => {
  it("ends with identical views, and a reader in the same process never sees an empty one", async () => {
    const deployment = await freshDeployment(kafka, "rebuilde")
    const { env: _env, ...names } = deployment
    const embeddedEnv = Object.fromEntries(Object.entries(deployment.env).filter(([name]) => name !== "CLICKHOUSE_URL"))
    await simulate(deployment, simulationFlags(40, 15, 11))
    const scorer = startService("scorer", deployment)
    await waitCaughtUp(admin, names.scorerGroup, [names.topics.interactions], scorer)
    expect(await scorer.stop()).toBe(0)

    // one engine per process: the projector, the rebuild and the reader share this runtime's ClickHouse
    const runtime = ManagedRuntime.make(
      Layer.mergeAll(
        ClickHouse.layerFor(embeddedTarget(names.database)),
        settingsLayer(embeddedEnv),
        NodeServices.layer,
        // the projector run here logs only what goes wrong
        Layer.succeed(References.MinimumLogLevel, "Error")
      )
    )
    const query = (sql: string) =>
      runtime.runPromise(
        Effect.gen(function* () {
          return yield* (yield* ClickHouse).query<Row>(sql)
        })
      )
    const v = (name: string) => sqlQualified(names.database, name)
    const snapshot = async () => ({
      history: await query(`SELECT * FROM ${v("v_score_history")} ORDER BY customer_id, seq`),
      current: await query(
        `SELECT customer_id, score_at_last_event, records, t_ref_ms FROM ${v("v_current_scores")} ORDER BY customer_id`
      ),
      interactions: await query(`SELECT * FROM ${v("v_interactions")} ORDER BY event_source, event_id`),
      rollups: await query(
        `SELECT day, event_source, channel, segment, events, duplicates, active_customers, round(score_sum, 9) AS s FROM ${v("v_daily_rollups")} ORDER BY day, event_source, channel, segment`
      )
    })
    try {
      const scope = await runtime.runPromise(Scope.make())
      await runtime.runPromise(startPipeline({ scorer: false, projector: true }).pipe(Scope.provide(scope)))
      await waitCaughtUp(admin, names.projectorGroup, [names.topics.scores, names.topics.interactions])
      await runtime.runPromise(Scope.close(scope, Exit.void))
      const before = await snapshot()
      expect(before.history.length).toBeGreaterThan(150)

      const seen: Array<number> = []
      const errors: Array<string> = []
      let reading = true
      const reader = (async () => {
        while (reading) {
          try {
            const [row] = await query(
              `SELECT (SELECT count() FROM ${v("v_current_scores")}) AS c, (SELECT count() FROM ${v("v_score_history")}) AS h, (SELECT count() FROM ${v("v_interactions")}) AS i`
            )
            seen.push(Math.min(Number(row!.c), Number(row!.h), Number(row!.i)))
          } catch (error) {
            errors.push(String(error))
          }
          await new Promise((resolve) => setImmediate(resolve))
        }
      })()
      const fiber = runtime.runFork(
        rebuildProjection({
          kafka,
          topics: names.topics,
          projectorGroup: names.projectorGroup,
          logFile: scratchFile("rebuild.log")
        })
      )
      const result = await runtime.runPromise(Fiber.join(fiber))
      reading = false
      await reader
      expect(result.statements.every((s) => s.startsWith("EXCHANGE TABLES"))).toBe(true)
      expect(result.after).toEqual(result.shadow)
      expect(errors).toEqual([])
      expect(Math.min(...seen)).toBeGreaterThan(0)
      expect(await snapshot()).toEqual(before)
      const counts = await runtime.runPromise(projectionCounts(names.database))
      expect(counts.rollupRecords).toBe(counts.scoreRecords)
    } finally {
      await runtime.runPromise(
        Effect.gen(function* () {
          yield* (yield* ClickHouse).command(dropDatabaseStatement(names.database))
        })
      )
      await runtime.dispose()
    }
  })
})
