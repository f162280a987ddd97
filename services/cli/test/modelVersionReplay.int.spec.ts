import * as fs from "node:fs"
import { ClickHouse, dropDatabaseStatement, type Row, sqlQualified } from "@xpscore/clickhouse"
import { Effect, ManagedRuntime } from "effect"
import { describe, expect, it } from "vitest"
import { serverTarget } from "../../../test/harness/index.ts"
import { xpscore } from "./cliProcess.ts"
import {
  endOffsets,
  freshDeployment,
  scratchFile,
  simulate,
  simulationFlags,
  startService,
  suiteKafka,
  waitCaughtUp
} from "./pipelineFixture.ts"

const { kafka, admin } = suiteKafka("model-version-test")

/** `xpscore score` of an NDJSON file: each customer at its latest event time. */
const offlineScores = async (file: string, env: Record<string, string>, params?: string) => {
  const run = await xpscore(
    ["score", "--skip-invalid", ...(params === undefined ? [] : ["--params", params]), file],
    env
  )
  if (run.code !== 0) throw new Error(`xpscore score failed:\n${run.stderr}`)
  return new Map(
    run.stdout
      .split("\n")
      .filter((line) => line !== "")
      .map((line) => {
        const { customerId, score } = JSON.parse(line) as { customerId: string; score: number }
        return [customerId, score] as const
      })
  )
}

describe("xpscore replay --model-version", () => {
  it("re-scores into the version's own topics and database: other λ, other scores, equal to xpscore score --params; the live ones untouched", async () => {
    const deployment = await freshDeployment(kafka, "modelv")
    const runtime = ManagedRuntime.make(ClickHouse.layerFor(serverTarget(deployment.database)))
    const query = (sql: string) =>
      runtime.runPromise(
        Effect.gen(function* () {
          return yield* (yield* ClickHouse).query<Row>(sql)
        })
      )
    const scoresOf = async (database: string) =>
      new Map(
        (
          await query(
            `SELECT customer_id, score_at_last_event FROM ${sqlQualified(database, "v_current_scores")} ORDER BY customer_id`
          )
        ).map((row) => [String(row.customer_id), Number(row.score_at_last_event)] as const)
      )
    let candidateDatabase: string | undefined
    try {
      const flags = simulationFlags(30, 15, 12)
      await simulate(deployment, flags)
      const events = scratchFile("events.ndjson")
      const written = await xpscore(["simulate", ...flags, "--out", events], deployment.env)
      expect(written.code, written.stderr).toBe(0)
      const params = scratchFile("params.json")
      fs.writeFileSync(params, JSON.stringify({ lambda: 3.5 }))

      const services = startService("all", deployment)
      await waitCaughtUp(admin, deployment.scorerGroup, [deployment.topics.interactions], services)
      await waitCaughtUp(
        admin,
        deployment.projectorGroup,
        [deployment.topics.scores, deployment.topics.interactions],
        services
      )
      expect(await services.stop()).toBe(0)
      const live = await scoresOf(deployment.database)
      const liveScoresEnd = await endOffsets(admin, [deployment.topics.scores])
      const liveOffline = await offlineScores(events, deployment.env)
      for (const [customerId, score] of live) expect(Math.abs(score - liveOffline.get(customerId)!)).toBeLessThan(1e-9)

      const dryRun = await xpscore(["replay", "--model-version", params, "--json"], deployment.env)
      expect(dryRun.code, dryRun.stderr).toBe(0)
      const plan = (
        JSON.parse(dryRun.stdout) as { plan: { candidate: { topics: { scores: string }; database: string } } }
      ).plan
      expect(await admin.listTopics()).not.toContain(plan.candidate.topics.scores)

      const run = await xpscore(["replay", "--model-version", params, "--execute", "--json"], deployment.env)
      expect(run.code, run.stderr).toBe(0)
      const { result } = JSON.parse(run.stdout) as {
        result: {
          modelVersion: string
          candidate: { label: string; database: string; topics: { scores: string; scorerState: string } }
          comparison: Array<{ customerId: string; difference: number }>
          compareSql: string
        }
      }
      candidateDatabase = result.candidate.database
      expect(result.candidate.label).toBe(result.modelVersion)
      expect(result.candidate.topics.scores).toBe(`${deployment.prefix}scores.${result.modelVersion}`)

      const candidate = await scoresOf(result.candidate.database)
      const expected = await offlineScores(events, deployment.env, params)
      expect([...candidate.keys()]).toEqual([...live.keys()])
      for (const [customerId, score] of candidate)
        expect(Math.abs(score - expected.get(customerId)!)).toBeLessThan(1e-9)
      const changed = [...candidate].filter(([customerId, score]) => Math.abs(score - live.get(customerId)!) > 1e-6)
      expect(changed.length).toBeGreaterThan(live.size / 3)
      expect(result.comparison.length).toBeGreaterThan(0)
      expect(Math.abs(result.comparison[0]!.difference)).toBeGreaterThan(1e-6)

      // the deployment is as it was
      expect(await scoresOf(deployment.database)).toEqual(live)
      expect(await endOffsets(admin, [deployment.topics.scores])).toEqual(liveScoresEnd)
      const [modelOfLive] = await query(
        `SELECT DISTINCT model_version FROM ${sqlQualified(deployment.database, "v_score_history")}`
      )
      expect(modelOfLive!.model_version).not.toBe(result.modelVersion)
    } finally {
      await runtime.runPromise(
        Effect.gen(function* () {
          const clickhouse = yield* ClickHouse
          yield* clickhouse.command(dropDatabaseStatement(deployment.database))
          if (candidateDatabase !== undefined) yield* clickhouse.command(dropDatabaseStatement(candidateDatabase))
        })
      )
      await runtime.dispose()
    }
  })
})
