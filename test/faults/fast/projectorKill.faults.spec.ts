import { schemaTables } from "@xpscore/clickhouse"
import { describe, expect, it } from "vitest"
import { waitReady } from "../../e2e/scorerProcess.ts"
import { testInfra } from "../../harness/index.ts"
import { expectSound } from "../harness/expectSound.ts"
import { FaultRun } from "../harness/faultRun.ts"
import { simulatedStream } from "../harness/inputRecords.ts"
import { InsertInterceptor } from "../harness/insertInterceptor.ts"

/*
 * Scenario 2: the projector is SIGKILLed at the two moments that matter to
 * an at-least-once sink, placed exactly by a proxy in front of ClickHouse
 * (insertInterceptor.ts), not by timing luck:
 *
 * - between the insert and the offset commit: ClickHouse executed the INSERT
 *   into score_history (its rows feed the rollup's materialized view), the
 *   projector never heard back, its offsets are not committed. The next
 *   projector reads those records again: the rollup must not count them twice.
 * - during an insert: ClickHouse is reading the INSERT's body when the
 *   projector dies. Nothing of it may land half.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe("scenario 2: SIGKILL the projector", () => {
  it("between the insert and the offset commit, and during an insert: the views count every record once", async () => {
    const run = await FaultRun.create("2 SIGKILL projector")
    const interceptor = await InsertInterceptor.start(testInfra().clickhouseUrl)
    try {
      const records = simulatedStream({ customers: 1000, days: 30, seed: 202, duplicateRate: 0.03, invalidRate: 0.01 })
      const scoreHistory = run.table(schemaTables.scoreHistory)
      await run.scorer()
      let projector = await run.projector({}, interceptor.url)
      const publishing = run.publish(records, { ratePerSecond: 400 })
      await waitReady(projector)
      await sleep(2000)

      // between the insert and the commit
      const afterInsert = await interceptor.arm("after-insert", schemaTables.scoreHistory)
      await projector.kill()
      const killedAfterInsertMs = Date.now()
      const committedScores = new Map(
        (await run.admin.fetchOffsets({ groupId: run.projectorGroup, topics: [run.topics.scores] }))[0]!.partitions.map(
          (p) => [p.partition, Number(p.offset)]
        )
      )
      const projected = await run.query<{ partition: number; next: number }>(
        `SELECT kafka_partition AS partition, max(kafka_offset) + 1 AS next FROM ${scoreHistory} GROUP BY kafka_partition`
      )
      const landedUncommitted = projected.filter(
        (row) => Number(row.next) > (committedScores.get(Number(row.partition)) ?? 0)
      )
      expect(landedUncommitted.length).toBeGreaterThan(0)
      run.faults.push(
        `SIGKILL projector after ClickHouse executed an INSERT (${afterInsert.connection}), before its offsets were committed`
      )
      const baseline = await run.committed(run.projectorGroup, run.projectorInput)
      projector = await run.projector({}, interceptor.url)
      await run.recovered(
        "SIGKILL between insert and commit",
        run.projectorGroup,
        run.projectorInput,
        killedAfterInsertMs,
        baseline
      )
      await sleep(1000)

      // during an insert
      await interceptor.arm("mid-insert", schemaTables.scoreHistory)
      await sleep(300)
      const running = await run.query<{ n: number }>(
        `SELECT count() AS n FROM system.processes WHERE query LIKE '%INSERT INTO%' AND query LIKE '%${schemaTables.scoreHistory}%' AND query LIKE '%${run.database}%'`
      )
      expect(Number(running[0]!.n)).toBe(1)
      const rowsBefore = Number((await run.query<{ n: number }>(`SELECT count() AS n FROM ${scoreHistory}`))[0]!.n)
      await projector.kill()
      const killedMidInsertMs = Date.now()
      await sleep(1000)
      const rowsAfter = Number((await run.query<{ n: number }>(`SELECT count() AS n FROM ${scoreHistory}`))[0]!.n)
      expect(rowsAfter).toBe(rowsBefore)
      run.faults.push("SIGKILL projector while ClickHouse read an INSERT's body (nothing of it landed)")
      const baselineMid = await run.committed(run.projectorGroup, run.projectorInput)
      projector = await run.projector({}, interceptor.url)
      await run.recovered(
        "SIGKILL during an insert",
        run.projectorGroup,
        run.projectorInput,
        killedMidInsertMs,
        baselineMid
      )

      await publishing
      await run.settle()
      const verdict = await run.verify()
      expectSound(verdict)
    } finally {
      await interceptor.close()
      await run.close()
    }
  })
})
