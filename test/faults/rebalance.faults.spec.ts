import { describe, it } from "vitest"
import { eventually, waitReady } from "../e2e/scorerProcess.ts"
import { expectSound } from "./harness/expectSound.ts"
import { FaultRun } from "./harness/faultRun.ts"
import { simulatedStream } from "./harness/inputRecords.ts"

/*
 * Scenario 5: a second scorer joins mid-run (the group rebalances: half of
 * the partitions move, with their state, to the newcomer), then one of the
 * two is SIGKILLed (its partitions move back once its session expires, and
 * their open transactions are fenced). Then the other way round.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const assigned = async (scorer: { get: (path: string) => Promise<{ status: number; body: string }> }) => {
  try {
    return Number(JSON.parse((await scorer.get("/readyz")).body).assigned ?? 0)
  } catch {
    return 0
  }
}

describe("scenario 5: rebalance", () => {
  it("a second scorer joins mid-run, then one is killed: each partition's work is done once", async () => {
    const run = await FaultRun.create("5 rebalance")
    try {
      const records = simulatedStream({ customers: 1200, days: 30, seed: 505, duplicateRate: 0.02, invalidRate: 0.01 })
      await run.projector()
      const first = await run.scorer()
      const publishing = run.publish(records, { ratePerSecond: 400 })
      await waitReady(first)
      await sleep(4000)

      const beforeJoin = await run.committed(run.scorerGroup, run.scorerInput)
      const joinedAtMs = Date.now()
      const second = await run.scorer()
      await eventually(
        async () =>
          (await assigned(first)) > 0 &&
          (await assigned(second)) > 0 &&
          (await assigned(first)) + (await assigned(second)) === 6,
        "both scorers to share the six partitions",
        60_000
      )
      run.faults.push("a second scorer joins")
      await run.recovered("the second scorer joining", run.scorerGroup, run.scorerInput, joinedAtMs, beforeJoin)
      await sleep(3000)

      await first.kill()
      const killedAtMs = Date.now()
      run.faults.push("SIGKILL one of the two")
      const baseline = await run.committed(run.scorerGroup, run.scorerInput)
      await eventually(async () => (await assigned(second)) === 6, "the survivor to take every partition", 60_000)
      await run.recovered("SIGKILL of one of two scorers", run.scorerGroup, run.scorerInput, killedAtMs, baseline)

      await publishing
      await run.settle()
      const verdict = await run.verify()
      expectSound(verdict)
    } finally {
      await run.close()
    }
  })
})
