import { seededRandom } from "@xpscore/simulator"
import { describe, expect, it } from "vitest"
import { type ServiceProcess, waitReady } from "../../e2e/scorerProcess.ts"
import { expectSound } from "../harness/expectSound.ts"
import { eventuallyTrue, FaultRun } from "../harness/faultRun.ts"
import { simulatedStream } from "../harness/inputRecords.ts"
import { OpenTransactionProbe } from "../harness/openTransactions.ts"

/*
 * Scenario 1: the scorer is SIGKILLed again and again while producers keep
 * publishing, at random moments and, every other time, at a moment when the
 * broker shows one of its transactions open (records written to the scores
 * or changelog topic, neither committed nor aborted). Each time a new scorer
 * process takes over (and fences the dead one's transactional ids, aborting
 * what it left open). The end state must equal the crash-free reference.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const KILLS = 6

/**
 * A transaction lives for milliseconds: seen open by the probe, it may be
 * committed before a SIGKILL lands. So the scorer is frozen (SIGSTOP) the
 * moment one is seen open, and killed only if it is still open once frozen
 * (a frozen process sends nothing more); otherwise it is resumed and the
 * next open transaction is tried.
 */
const killInsideOpenTransaction = async (scorer: ServiceProcess, probe: OpenTransactionProbe) => {
  for (let attempt = 1; attempt <= 50; attempt++) {
    await eventuallyTrue(async () => (await probe.open()).length > 0, "a transaction to be open", 30_000)
    scorer.child.kill("SIGSTOP")
    await sleep(200)
    if ((await probe.open()).length > 0) {
      await scorer.kill()
      return
    }
    scorer.child.kill("SIGCONT")
  }
  throw new Error("no transaction of the scorer stayed open in 50 attempts")
}

describe("scenario 1: SIGKILL the scorer", () => {
  it(`at ${KILLS} random points, every other one inside an open transaction: nothing lost, nothing applied twice`, async () => {
    const run = await FaultRun.create("1 SIGKILL scorer")
    try {
      const records = simulatedStream({ customers: 1500, days: 30, seed: 101, duplicateRate: 0.02, invalidRate: 0.01 })
      await run.projector()
      let scorer = await run.scorer()
      const publishing = run.publish(records, { ratePerSecond: 450 })
      const probe = await OpenTransactionProbe.connect(run.kafka, [run.topics.scores, run.topics.scorerState])
      const random = seededRandom(101, 1)
      let insideOpenTransaction = 0
      try {
        for (let kill = 1; kill <= KILLS; kill++) {
          await waitReady(scorer)
          await sleep(random.between(500, 3000))
          if (kill % 2 === 0) await killInsideOpenTransaction(scorer, probe)
          else await scorer.kill()
          const killedAtMs = Date.now()
          const baseline = await run.committed(run.scorerGroup, run.scorerInput)
          // what the dead process left behind: markers of a commit it asked for would be written within milliseconds
          await sleep(500)
          const left = await probe.open()
          if (left.length > 0) insideOpenTransaction++
          scorer = await run.scorer()
          await run.recovered(`SIGKILL ${kill}`, run.scorerGroup, run.scorerInput, killedAtMs, baseline)
        }
      } finally {
        await probe.close()
      }
      run.faults.push(`${KILLS} × SIGKILL scorer (${insideOpenTransaction} inside an open transaction)`)
      await publishing
      await run.settle()
      const verdict = await run.verify()
      expect(insideOpenTransaction).toBeGreaterThanOrEqual(KILLS / 2)
      expectSound(verdict)
    } finally {
      await run.close()
    }
  })
})
