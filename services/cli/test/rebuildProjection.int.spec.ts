import { ClickHouse, dropDatabaseStatement, projectionCounts, type Row, sqlQualified } from "@xpscore/clickhouse"
import { arbitraryJourney } from "@xpscore/events/testing"
import { HOUR_MS } from "@xpscore/scoring"
import { Effect, ManagedRuntime } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { serverTarget } from "../../../test/harness/index.ts"
import { xpscore } from "./cliProcess.ts"
import {
  type Deployment,
  freshDeployment,
  readScores,
  simulate,
  simulationFlags,
  startService,
  suiteKafka,
  waitCaughtUp
} from "./pipelineFixture.ts"

const { kafka, admin } = suiteKafka("rebuild-test")

type Runtime = ManagedRuntime.ManagedRuntime<ClickHouse, unknown>

const query = (runtime: Runtime, sql: string) =>
  runtime.runPromise(
    Effect.gen(function* () {
      return yield* (yield* ClickHouse).query<Row>(sql)
    })
  )

/** Everything BI sees, minus what depends on the query time (the score decayed to now). */
const viewContents = async (runtime: Runtime, database: string) => {
  const v = (name: string) => sqlQualified(database, name)
  return {
    history: await query(runtime, `SELECT * FROM ${v("v_score_history")} ORDER BY customer_id, seq`),
    current: await query(
      runtime,
      `SELECT customer_id, score_at_last_event, index_at_last_event, records, last_event_id, t_ref_ms, model_version FROM ${v("v_current_scores")} ORDER BY customer_id`
    ),
    // sums of floats depend on the order parts were aggregated in (the rebuild batches differently): equal to 1e-9
    rollups: await query(
      runtime,
      `SELECT day, event_source, channel, segment, events, negative_moments, recoveries, recovery_paradoxes, double_deviations, late_events, duplicates, active_customers, round(average_score, 9) AS average_score, round(score_sum, 9) AS score_sum FROM ${v("v_daily_rollups")} ORDER BY day, event_source, channel, segment`
    ),
    crossings: await query(runtime, `SELECT * FROM ${v("v_score_crossings")} ORDER BY customer_id, seq, threshold`),
    interactions: await query(runtime, `SELECT * FROM ${v("v_interactions")} ORDER BY event_source, event_id`)
  }
}

/** Runs the pipeline (`xpscore run all`) until it has scored and projected everything, then stops it. */
const projectAll = async (deployment: Deployment) => {
  const services = startService("all", deployment)
  await waitCaughtUp(admin, deployment.scorerGroup, [deployment.topics.interactions], services)
  await waitCaughtUp(
    admin,
    deployment.projectorGroup,
    [deployment.topics.scores, deployment.topics.interactions],
    services
  )
  expect(await services.stop()).toBe(0)
}

describe("xpscore replay --rebuild-projection (ClickHouse server)", () => {
  it("swaps in rebuilt tables with identical view contents, never an empty one, and the views keep updating after", async () => {
    const deployment = await freshDeployment(kafka, "rebuild")
    const runtime: Runtime = ManagedRuntime.make(ClickHouse.layerFor(serverTarget(deployment.database)))
    try {
      await simulate(deployment, simulationFlags(60, 20, 8))
      await projectAll(deployment)
      const before = await viewContents(runtime, deployment.database)
      expect(before.history.length).toBeGreaterThan(300)

      // refused while the projector runs: it would write into the tables being replaced
      const running = startService("projector", deployment)
      for (let i = 0; i < 100; i++) {
        const { groups } = await admin.describeGroups([deployment.projectorGroup])
        if ((groups[0]?.members.length ?? 0) > 0) break
        await new Promise((resolve) => setTimeout(resolve, 200))
      }
      const refused = await xpscore(["replay", "--rebuild-projection", "--execute"], deployment.env)
      expect(refused.code).not.toBe(0)
      expect(refused.stderr).toContain("stop them first")
      expect(await running.stop()).toBe(0)

      const dryRun = await xpscore(["replay", "--rebuild-projection"], deployment.env)
      expect(dryRun.stdout).toContain("dry run: nothing changed")

      // a BI reader polls the views throughout the rebuild
      const v = (name: string) => sqlQualified(deployment.database, name)
      const seen: Array<number> = []
      const errors: Array<string> = []
      let reading = true
      const reader = (async () => {
        while (reading) {
          try {
            const [row] = await query(
              runtime,
              `SELECT (SELECT count() FROM ${v("v_current_scores")}) AS c, (SELECT count() FROM ${v("v_score_history")}) AS h, (SELECT count() FROM ${v("v_interactions")}) AS i, (SELECT count() FROM ${v("v_daily_rollups")}) AS r`
            )
            seen.push(Math.min(Number(row!.c), Number(row!.h), Number(row!.i), Number(row!.r)))
          } catch (error) {
            errors.push(String(error))
          }
        }
      })()
      const rebuilt = await xpscore(["replay", "--rebuild-projection", "--execute", "--json"], deployment.env)
      reading = false
      await reader
      expect(rebuilt.code, rebuilt.stderr).toBe(0)
      const { result } = JSON.parse(rebuilt.stdout) as {
        result: { statements: Array<string>; after: { scoreRecords: number }; shadow: { scoreRecords: number } }
      }
      expect(result.statements[0]).toMatch(/^(RENAME TABLE|EXCHANGE TABLES)/)
      expect(result.after).toEqual(result.shadow)
      expect(errors).toEqual([])
      expect(seen.length).toBeGreaterThan(20)
      expect(Math.min(...seen)).toBeGreaterThan(0)
      expect(await viewContents(runtime, deployment.database)).toEqual(before)
      expect(
        await query(runtime, `SELECT name FROM system.databases WHERE name = '${deployment.database}_shadow'`)
      ).toEqual([])

      // the swapped-in tables keep being fed: new events reach every view, each record counted once
      const [journey] = fc.sample(
        arbitraryJourney({
          customers: { min: 4, max: 4 },
          eventsPerCustomer: { min: 3, max: 6 },
          latenessMs: HOUR_MS,
          duplicateRate: 0
        }),
        { seed: 9, numRuns: 1 }
      )
      const producer = kafka.producer()
      await producer.connect()
      await producer.send({
        topic: deployment.topics.interactions,
        messages: journey!.events.map((event) => ({ key: event.subject, value: JSON.stringify(event) }))
      })
      await producer.disconnect()
      await projectAll(deployment)
      const records = await readScores(kafka, deployment.topics.scores)
      const counts = await runtime.runPromise(projectionCounts(deployment.database))
      expect(counts.scoreRecords).toBe(records.length)
      expect(counts.rollupRecords).toBe(records.length)
      expect(counts.seqSum).toBe(records.length)
      expect(counts.customers).toBe(new Set(records.map((r) => r.customerId)).size)
    } finally {
      await runtime.runPromise(
        Effect.gen(function* () {
          const clickhouse = yield* ClickHouse
          yield* clickhouse.command(dropDatabaseStatement(deployment.database))
          yield* clickhouse.command(dropDatabaseStatement(`${deployment.database}_shadow`))
        })
      )
      await runtime.dispose()
    }
  })
})
