import { describe, expect, inject, it } from "vitest"
import { waitReady } from "../e2e/scorerProcess.ts"
import { expectSound } from "./harness/expectSound.ts"
import { startClickHouse, stopClickHouse } from "./harness/faultInfra.ts"
import { eventuallyTrue, FaultRun } from "./harness/faultRun.ts"
import { simulatedStream } from "./harness/inputRecords.ts"

/*
 * Scenario 4: the ClickHouse server is stopped for 30 s mid-run while
 * interactions keep arriving and the scorer keeps scoring. The projector
 * must hold its batch, pause, say so on /readyz, retry, and once the server
 * is back write every record once: views equal to the crash-free reference.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("scenario 4: stop the ClickHouse server for 30 s", () => {
  it("the projector waits, retries, and writes every record once when the server is back", async () => {
    const settings = inject("faultInfra")
    const run = await FaultRun.create("4 ClickHouse down 30 s")
    try {
      const records = simulatedStream({ customers: 1000, days: 30, seed: 404, duplicateRate: 0.02, invalidRate: 0.01 })
      await run.scorer()
      const projector = await run.projector()
      const publishing = run.publish(records, { ratePerSecond: 350 })
      await waitReady(projector)
      await sleep(5000)
      const downAtMs = Date.now()
      await stopClickHouse(settings)
      await eventuallyTrue(
        async () => (await projector.get("/readyz")).status === 503,
        "the projector to report the outage on /readyz",
        20_000
      )
      const committedWhileDown = await run.committed(run.projectorGroup, run.projectorInput)
      await sleep(Math.max(0, 30_000 - (Date.now() - downAtMs)))
      // nothing committed that was not written
      expect(await run.committed(run.projectorGroup, run.projectorInput)).toBe(committedWhileDown)
      expect((await projector.get("/healthz")).status).toBe(200)
      await startClickHouse(settings)
      const backAtMs = Date.now()
      run.faults.push(`ClickHouse server stopped ${((backAtMs - downAtMs) / 1000).toFixed(0)} s`)
      await run.recovered("the ClickHouse outage", run.projectorGroup, run.projectorInput, backAtMs, committedWhileDown)
      await eventuallyTrue(async () => (await projector.get("/readyz")).status === 200, "/readyz to recover", 60_000)
      await publishing
      await run.settle()
      const verdict = await run.verify()
      expectSound(verdict)
      expect(projector.child.exitCode).toBe(null)
    } finally {
      await run.close()
    }
  })
})
