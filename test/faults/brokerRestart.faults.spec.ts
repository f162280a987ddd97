import { describe, expect, inject, it } from "vitest"
import { waitReady } from "../e2e/scorerProcess.ts"
import { expectSound } from "./harness/expectSound.ts"
import { killKafka, startKafka, stopKafka } from "./harness/faultInfra.ts"
import { FaultRun } from "./harness/faultRun.ts"
import { simulatedStream } from "./harness/inputRecords.ts"

/*
 * Scenario 3: the Kafka broker restarts mid-run, twice: a clean bounce
 * (SIGTERM, controlled shutdown) and a hard one (SIGKILL, no shutdown at all:
 * the broker recovers its logs on start), as in Kafka's own transactions
 * system test. Producers, the scorer and the projector all lose the broker
 * for seconds; the end state must still equal the crash-free reference.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("scenario 3: restart the Kafka broker", () => {
  it("a clean and a hard bounce mid-run: nothing lost, nothing applied twice", async () => {
    const settings = inject("faultInfra")
    const run = await FaultRun.create("3 broker restart")
    try {
      const records = simulatedStream({ customers: 1000, days: 30, seed: 303, duplicateRate: 0.02, invalidRate: 0.01 })
      const scorer = await run.scorer()
      const projector = await run.projector()
      const publishing = run.publish(records, { ratePerSecond: 400 })
      await Promise.all([waitReady(scorer), waitReady(projector)])
      for (const bounce of ["clean", "hard"] as const) {
        await sleep(4000)
        const baseline = await run.committed(run.scorerGroup, run.scorerInput)
        const downAtMs = Date.now()
        if (bounce === "clean") await stopKafka(settings)
        else expect(await killKafka(settings)).toBe(true)
        await sleep(8000)
        await startKafka(settings)
        const backAtMs = Date.now()
        run.faults.push(`${bounce} broker bounce, ${((backAtMs - downAtMs) / 1000).toFixed(0)} s down`)
        await run.recovered(`the ${bounce} bounce`, run.scorerGroup, run.scorerInput, backAtMs, baseline)
      }
      await publishing
      await run.settle()
      const verdict = await run.verify()
      expectSound(verdict)
      // the services rode the outages out: nobody restarted them
      expect([scorer.child.exitCode, projector.child.exitCode]).toEqual([null, null])
    } finally {
      await run.close()
    }
  })
})
