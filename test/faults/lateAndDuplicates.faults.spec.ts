import { biViews } from "@xpscore/clickhouse"
import { HOUR_MS } from "@xpscore/simulator"
import { describe, expect, it } from "vitest"
import { waitReady } from "../e2e/scorerProcess.ts"
import { expectSound } from "./harness/expectSound.ts"
import { FaultRun } from "./harness/faultRun.ts"
import { simulatedStream } from "./harness/inputRecords.ts"

/*
 * Scenario 8: what producers get wrong without crashing anything: 10 % of
 * events sent twice, 10 % delivered late (within the 24 h allowed lateness,
 * and some beyond it), with the scorer killed once in the middle for good
 * measure. Duplicates must count once, events inside the horizon must give
 * the score their event-time order gives, events beyond it are counted as
 * late, and everything must equal the crash-free reference.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

interface WireEvent {
  readonly subject: string
  readonly id: string
  readonly time: string
}

describe("scenario 8: duplicates and late events", () => {
  it("10 % duplicates, out of order within the lateness and beyond it: counted once, ordered, late ones counted", async () => {
    const run = await FaultRun.create("8 duplicates + late")
    try {
      const records = simulatedStream({
        customers: 1000,
        days: 30,
        seed: 808,
        duplicateRate: 0.1,
        lateRate: 0.1,
        lateBeyondHorizonShare: 0.3,
        invalidRate: 0.005
      })
      const duplicates = records.filter((r) => r.simulated?.kind === "duplicate").length
      const late = records.filter((r) => r.simulated?.kind === "event" && r.simulated.lateByMs > 0)
      const beyond = late.filter((r) => r.simulated!.lateByMs > 24 * HOUR_MS)
      const events = records.filter((r) => r.simulated?.kind === "event").length
      expect(duplicates / events).toBeGreaterThan(0.08)
      expect(late.length / events).toBeGreaterThan(0.08)
      expect(beyond.length).toBeGreaterThan(0)

      await run.projector()
      let scorer = await run.scorer()
      const publishing = run.publish(records, { ratePerSecond: 500 })
      await waitReady(scorer)
      await sleep(8000)
      await scorer.kill()
      const baseline = await run.committed(run.scorerGroup, run.scorerInput)
      scorer = await run.scorer()
      await run.recovered("SIGKILL", run.scorerGroup, run.scorerInput, Date.now(), baseline)
      run.faults.push(
        `${duplicates} duplicates, ${late.length - beyond.length} late within 24 h, ${beyond.length} beyond; 1 × SIGKILL scorer`
      )
      await publishing
      await run.settle()
      const verdict = await run.verify()
      expectSound(verdict)

      // duplicates counted once, late ones counted as late
      const [totals] = await run.query<{ duplicates: number; late: number }>(
        `SELECT sum(duplicates) AS duplicates, sum(late_events) AS late FROM ${run.table(biViews.dailyRollups)}`
      )
      expect(Number(totals!.duplicates)).toBe(duplicates)
      const referenceLate = [...verdict.reference.values()].reduce((sum, r) => sum + r.late, 0)
      expect(Number(totals!.late)).toBe(referenceLate)
      console.log(
        `late: ${beyond.length} simulated beyond the 24 h horizon, ${referenceLate} counted late by the model (late relative to the customer's newest event time when they arrive)`
      )

      // within the horizon, arrival order does not matter: the same as each event once, in event-time order
      const customersWithLateBeyond = new Set(beyond.map((r) => r.key))
      const firstSends = records
        .filter((r) => r.simulated?.kind === "event" && !customersWithLateBeyond.has(r.key))
        .map((r) => ({ value: r.value, event: JSON.parse(Buffer.from(r.value).toString("utf8")) as WireEvent }))
        .sort((a, b) => Date.parse(a.event.time) - Date.parse(b.event.time) || (a.event.id < b.event.id ? -1 : 1))
      const inTimeOrder = run.offlineScores(firstSends.map((e) => e.value))
      expect(inTimeOrder.size).toBeGreaterThan(500)
      const differing = [...inTimeOrder].filter(
        ([customerId, { score }]) => !(Math.abs(score - verdict.reference.get(customerId)!.score) <= 1e-9)
      )
      expect(differing).toEqual([])
    } finally {
      await run.close()
    }
  })
})
