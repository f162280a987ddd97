import { biViews, sqlString } from "@xpscore/clickhouse"
import { describe, expect, it } from "vitest"
import { waitReady } from "../../e2e/scorerProcess.ts"
import {
  badInputCatalogue,
  type CatalogueEntry,
  catalogueHeaders,
  hostileCustomerIds,
  TEN_MEGABYTES
} from "../harness/badInputCatalogue.ts"
import { expectSound } from "../harness/expectSound.ts"
import { FaultRun } from "../harness/faultRun.ts"
import { interleave, type PlannedRecord, simulatedStream } from "../harness/inputRecords.ts"

/*
 * Scenario 9: a poison storm. One record in ten is broken, in every way the
 * bad-input catalogue lists (badInputCatalogue.ts) and every way the
 * simulator breaks records, a 10 MB record among them (the interactions
 * topic accepts up to 16 MiB here, so that the record reaches the scorer).
 * The scorer must dead-letter exactly the broken records, each with its
 * rule, keep scoring the rest as the reference does, and never stop; the
 * hostile but valid ids must arrive in ClickHouse unchanged.
 */

const COPIES = 12

const plannedFrom = (entry: CatalogueEntry, customerId: string, n: number): PlannedRecord => {
  const { key, value } = entry.make(customerId, n)
  return {
    key,
    value,
    headers: catalogueHeaders,
    expectation:
      entry.scorer.kind === "accepted"
        ? { kind: "valid" }
        : { kind: "invalid", rule: entry.scorer.rule, path: entry.scorer.path, what: entry.name }
  }
}

describe("scenario 9: a poison storm", () => {
  it("10 % invalid records of every kind: exactly those dead-lettered with their rule, the rest scored as the reference, the scorer never stops", async () => {
    const run = await FaultRun.create("9 poison storm", {
      interactionsConfig: { "max.message.bytes": String(16 * 1024 * 1024) }
    })
    try {
      const stream = simulatedStream({ customers: 800, days: 30, seed: 909, duplicateRate: 0.02, invalidRate: 0.09 })
      const customers = [...new Set(stream.map((record) => record.key!))]
      const catalogue: Array<PlannedRecord> = []
      let n = 0
      for (const entry of badInputCatalogue) {
        const copies = entry.name === "a 10 MB record" ? 1 : COPIES
        for (let copy = 0; copy < copies; copy++, n++) {
          catalogue.push(plannedFrom(entry, customers[(n * 7919) % customers.length]!, n))
        }
      }
      // the catalogue's kinds in turn, spread over the stream
      const records = interleave(
        stream,
        catalogue.sort((a, b) => (catalogue.indexOf(a) % COPIES) - (catalogue.indexOf(b) % COPIES))
      )
      const invalidShare = records.filter((r) => r.expectation.kind === "invalid").length / records.length
      expect(invalidShare).toBeGreaterThan(0.09)
      expect(invalidShare).toBeLessThan(0.12)
      expect(records.some((record) => record.value.length > TEN_MEGABYTES)).toBe(true)

      const scorer = await run.scorer()
      await run.projector()
      await waitReady(scorer)
      await run.publish(records, { ratePerSecond: 2000 })
      run.faults.push(
        `${Math.round(invalidShare * 1000) / 10} % invalid: ${badInputCatalogue.length} catalogue kinds × ${COPIES} (one 10 MB record) and the simulator's 11 kinds`
      )
      await run.settle()
      expect(scorer.child.exitCode).toBe(null)
      expect((await scorer.get("/healthz")).status).toBe(200)

      const verdict = await run.verify()
      expectSound(verdict)

      // valid ids that look like SQL and JSON arrive unchanged, as data
      const stored = await run.query<{ customer_id: string }>(
        `SELECT customer_id FROM ${run.table(biViews.currentScores)} WHERE customer_id IN (${hostileCustomerIds.map(sqlString).join(", ")}) ORDER BY customer_id`
      )
      expect(stored.map((row) => row.customer_id)).toEqual([...hostileCustomerIds].sort())
      const events = await run.query<{ event_id: string }>(
        `SELECT event_id FROM ${run.table(biViews.interactions)} WHERE event_id LIKE '%DROP TABLE interactions%'`
      )
      expect(events.length).toBe(COPIES)
      expect(events.every((row) => /^catalogue-\d+'\); DROP TABLE interactions; -- \\"$/.test(row.event_id))).toBe(true)
    } finally {
      await run.close()
    }
  })
})
