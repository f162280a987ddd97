import { describe, expect, it } from "vitest"
import { eventually, waitReady } from "../e2e/scorerProcess.ts"
import { expectSound } from "./harness/expectSound.ts"
import { eventuallyTrue, FaultRun } from "./harness/faultRun.ts"
import { simulatedStream } from "./harness/inputRecords.ts"
import { OpenTransactionProbe } from "./harness/openTransactions.ts"

/*
 * Scenario 7: a zombie. One of two scorers is frozen (SIGSTOP) inside an open
 * transaction, longer than its session timeout: the group gives its
 * partitions to the other scorer, which fences their transactional ids (the
 * epoch bump aborts the open transaction). Then the frozen one is resumed
 * (SIGCONT) and carries on where it stopped: every write it tries must be
 * refused, and nothing it did may show.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
const SESSION_TIMEOUT_MS = 6000

interface Readiness {
  readonly assigned: number
  readonly partitions: ReadonlyArray<{ readonly partition: number }>
}

const readiness = async (scorer: { get: (path: string) => Promise<{ body: string }> }): Promise<Readiness> => {
  try {
    return JSON.parse((await scorer.get("/readyz")).body) as Readiness
  } catch {
    return { assigned: 0, partitions: [] }
  }
}

describe("scenario 7: pause a scorer past its session timeout", () => {
  it("SIGSTOP inside an open transaction, SIGCONT after the takeover: the zombie's writes are fenced", async () => {
    const run = await FaultRun.create("7 SIGSTOP zombie")
    const probe = await OpenTransactionProbe.connect(run.kafka, [run.topics.scorerState])
    try {
      const records = simulatedStream({ customers: 1200, days: 30, seed: 707, duplicateRate: 0.02, invalidRate: 0.01 })
      await run.projector()
      const zombie = await run.scorer()
      const survivor = await run.scorer()
      const publishing = run.publish(records, { ratePerSecond: 500 })
      await Promise.all([waitReady(zombie), waitReady(survivor)])
      await eventually(
        async () => (await readiness(zombie)).assigned + (await readiness(survivor)).assigned === 6,
        "both scorers to share the six partitions",
        60_000
      )
      await sleep(3000)
      const mine = new Set((await readiness(zombie)).partitions.map((p) => p.partition))
      expect(mine.size).toBeGreaterThan(0)

      // freeze it while one of its transactions is open (changelog partition p belongs to input partition p)
      await eventuallyTrue(
        async () => (await probe.open()).some((open) => mine.has(open.partition)),
        "a transaction of the scorer to be open",
        30_000
      )
      zombie.child.kill("SIGSTOP")
      const stoppedAtMs = Date.now()
      await sleep(500)
      const openWhenFrozen = (await probe.open()).filter((open) => mine.has(open.partition))
      expect(openWhenFrozen.length).toBeGreaterThan(0)
      const baseline = await run.committed(run.scorerGroup, run.scorerInput)
      await eventually(
        async () => (await readiness(survivor)).assigned === 6,
        "the survivor to take the frozen scorer's partitions",
        60_000
      )
      // the takeover fenced the frozen scorer's ids: its open transaction was aborted
      await eventuallyTrue(
        async () => {
          const now = await probe.partitions()
          return openWhenFrozen.every(
            (frozen) => now.find((p) => p.partition === frozen.partition)!.lastStableOffset >= frozen.highWatermark
          )
        },
        "the frozen scorer's open transaction to be aborted by the takeover",
        30_000
      )
      await run.recovered("the takeover", run.scorerGroup, run.scorerInput, stoppedAtMs, baseline)
      const frozenMs = Math.max(0, SESSION_TIMEOUT_MS + 3000 - (Date.now() - stoppedAtMs))
      await sleep(frozenMs)

      const logsBefore = zombie.logs().length
      zombie.child.kill("SIGCONT")
      const resumedAtMs = Date.now()
      const refusals = () =>
        zombie
          .logs()
          .slice(logsBefore)
          .filter(
            (log) =>
              log.message === "transaction aborted; the partition is restored and retried" &&
              /epoch|fenc/i.test(String(log.annotations?.error ?? ""))
          )
      await eventuallyTrue(async () => refusals().length > 0, "the zombie's write to be refused", 30_000)
      run.faults.push(
        `SIGSTOP a scorer ${((resumedAtMs - stoppedAtMs) / 1000).toFixed(0)} s inside an open transaction (session timeout ${SESSION_TIMEOUT_MS / 1000} s), SIGCONT: ${refusals().length} write(s) fenced`
      )
      console.log(`the zombie was refused: ${String(refusals()[0]?.annotations?.error)}`)

      await publishing
      await run.settle()
      const verdict = await run.verify()
      expectSound(verdict)
    } finally {
      await probe.close()
      await run.close()
    }
  })
})
