import { schemaTables } from "@xpscore/clickhouse"
import { describe, expect, it } from "vitest"
import { waitReady } from "../e2e/scorerProcess.ts"
import { expectSound } from "./harness/expectSound.ts"
import { FaultRun } from "./harness/faultRun.ts"
import { simulatedStream } from "./harness/inputRecords.ts"
import { OpenTransactionProbe } from "./harness/openTransactions.ts"

/*
 * Scenario 6: SIGTERM to the scorer and the projector at once, mid-run, as
 * an orchestrator stops a deployment. Both must drain within their drain
 * timeout: the scorer ends its open transactions (none is left open on the
 * broker), the projector writes and commits its buffered batch (nothing in
 * ClickHouse beyond its committed offsets). Restarted, they finish the run
 * with nothing lost and nothing applied twice.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const DRAIN_MS = 20_000
/** A drained service exits 0 (130 is for Ctrl-C). */
const CLEAN_EXITS = [0]

describe("scenario 6: SIGTERM the scorer and the projector", () => {
  it(`both drain and exit within ${DRAIN_MS / 1000} s, nothing lost`, async () => {
    const run = await FaultRun.create("6 SIGTERM drain")
    const probe = await OpenTransactionProbe.connect(run.kafka, [run.topics.scores, run.topics.scorerState])
    try {
      const records = simulatedStream({ customers: 1000, days: 30, seed: 606, duplicateRate: 0.02, invalidRate: 0.01 })
      const drain = { XPSCORE_SCORER_DRAIN_MS: String(DRAIN_MS), XPSCORE_PROJECTOR_DRAIN_MS: String(DRAIN_MS) }
      const scorer = await run.scorer(drain)
      const projector = await run.projector(drain)
      const publishing = run.publish(records, { ratePerSecond: 450 })
      await Promise.all([waitReady(scorer), waitReady(projector)])
      await sleep(6000)

      const stoppedAtMs = Date.now()
      const exits = await Promise.all(
        [scorer, projector].map(async (service) => {
          const code = await service.stop()
          return { service: service.service, code, ms: Date.now() - stoppedAtMs }
        })
      )
      for (const exit of exits) {
        expect(CLEAN_EXITS, `${exit.service} exit code`).toContain(exit.code)
        expect(exit.ms, `${exit.service} exit time`).toBeLessThan(DRAIN_MS)
      }
      expect(scorer.logs().some((log) => log.message === "transactional processor stopped")).toBe(true)
      // the scorer ended every transaction it had begun
      expect(await probe.open()).toEqual([])
      // the projector committed everything it wrote
      const committed = new Map<string, number>()
      for (const entry of await run.admin.fetchOffsets({ groupId: run.projectorGroup, topics: [run.topics.scores] })) {
        for (const p of entry.partitions) committed.set(String(p.partition), Number(p.offset))
      }
      const written = await run.query<{ partition: number; last: number }>(
        `SELECT kafka_partition AS partition, max(kafka_offset) AS last FROM ${run.table(schemaTables.scoreHistory)} GROUP BY kafka_partition`
      )
      for (const row of written) expect(Number(row.last)).toBeLessThan(committed.get(String(row.partition)) ?? 0)
      run.faults.push(
        `SIGTERM both: ${exits.map((exit) => `${exit.service} exit ${exit.code} after ${(exit.ms / 1000).toFixed(1)} s`).join(", ")}`
      )

      const baseline = await run.committed(run.scorerGroup, run.scorerInput)
      const restartedAtMs = Date.now()
      await run.scorer(drain)
      await run.projector(drain)
      await run.recovered("SIGTERM and restart", run.scorerGroup, run.scorerInput, restartedAtMs, baseline)
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
