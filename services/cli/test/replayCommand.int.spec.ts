import type { ScoreRecord } from "@xpscore/events"
import { describe, expect, it } from "vitest"
import { xpscore } from "./cliProcess.ts"
import {
  committedOffsets,
  type Deployment,
  endOffsets,
  freshDeployment,
  readScores,
  simulate,
  simulationFlags,
  startService,
  suiteKafka,
  waitCaughtUp
} from "./pipelineFixture.ts"

const { kafka, admin } = suiteKafka("replay-test")

const byCustomer = (records: ReadonlyArray<ScoreRecord>) => {
  const map = new Map<string, Array<{ seq: number; score: number; eventId: string }>>()
  for (const r of records)
    map.set(r.customerId, [...(map.get(r.customerId) ?? []), { seq: r.seq, score: r.score, eventId: r.eventId }])
  return map
}

const replay = (deployment: Deployment, args: ReadonlyArray<string>) => xpscore(["replay", ...args], deployment.env)

describe("xpscore replay of a scorer group", () => {
  it("is a dry run by default, refuses live members and partial resets, and --execute then catch-up reproduces identical scores", async () => {
    const deployment = await freshDeployment(kafka, "replay")
    const { topics, scorerGroup } = deployment
    await simulate(deployment, simulationFlags(40, 20, 5))

    const scorer = startService("scorer", deployment)
    await waitCaughtUp(admin, scorerGroup, [topics.interactions], scorer)
    const first = await readScores(kafka, topics.scores)
    expect(first.length).toBeGreaterThan(200)

    // while the scorer runs: the dry run says --execute would refuse, and --execute refuses
    const whileRunning = await replay(deployment, ["--group", scorerGroup, "--to-earliest"])
    expect(whileRunning.code).toBe(0)
    expect(whileRunning.stdout).toContain("--execute refuses until they are stopped")
    const refused = await replay(deployment, ["--group", scorerGroup, "--to-earliest", "--execute"])
    expect(refused.code).not.toBe(0)
    expect(refused.stderr).toMatch(/live member.*stop them first/)

    // a clean SIGTERM drains and exits 0
    expect(await scorer.stop()).toBe(0)

    const offsetsBefore = await committedOffsets(admin, scorerGroup, [topics.interactions])
    const changelogBefore = await endOffsets(admin, [topics.scorerState])
    const dryRun = await replay(deployment, ["--group", scorerGroup, "--to-earliest", "--json"])
    expect(dryRun.code).toBe(0)
    const plan = JSON.parse(dryRun.stdout) as {
      dryRun: boolean
      plan: { partitions: Array<{ partition: number; current: number; next: number; replayed: number }> }
    }
    expect(plan.dryRun).toBe(true)
    const published = [...(await endOffsets(admin, [topics.interactions])).values()].reduce((a, b) => a + b, 0)
    expect(plan.plan.partitions.map((p) => p.next)).toEqual([0, 0, 0])
    expect(plan.plan.partitions.reduce((sum, p) => sum + p.replayed, 0)).toBe(published)
    // nothing changed
    expect(await committedOffsets(admin, scorerGroup, [topics.interactions])).toEqual(offsetsBefore)
    expect(await endOffsets(admin, [topics.scorerState])).toEqual(changelogBefore)

    // a scorer group is only reset to the earliest offsets, on every partition
    const byTime = await replay(deployment, ["--group", scorerGroup, "--by-duration", "1h", "--execute"])
    expect(byTime.code).not.toBe(0)
    expect(byTime.stderr).toContain("a scorer group can only be reset --to-earliest")
    const partial = await replay(deployment, [
      "--group",
      scorerGroup,
      "--to-earliest",
      "--topic",
      `${topics.interactions}:0`,
      "--execute"
    ])
    expect(partial.code).not.toBe(0)
    expect(partial.stderr).toContain("must cover every partition")
    expect(await committedOffsets(admin, scorerGroup, [topics.interactions])).toEqual(offsetsBefore)

    const executed = await replay(deployment, ["--group", scorerGroup, "--to-earliest", "--execute"])
    expect(executed.code, executed.stderr).toBe(0)
    expect([...(await committedOffsets(admin, scorerGroup, [topics.interactions])).values()]).toEqual([0, 0, 0])
    // the changelog was recreated empty, co-partitioned with the interactions
    const changelogAfter = await endOffsets(admin, [topics.scorerState])
    expect([...changelogAfter.values()]).toEqual([0, 0, 0])

    const again = startService("scorer", deployment)
    await waitCaughtUp(admin, scorerGroup, [topics.interactions], again)
    expect(await again.stop()).toBe(0)
    const all = await readScores(kafka, topics.scores)
    expect(all.length).toBe(2 * first.length)
    // the replay appended every customer's records again: the same seqs, events and scores, bit for bit
    const before = byCustomer(first)
    const after = byCustomer(all)
    for (const [customerId, records] of before) {
      expect(after.get(customerId)).toEqual([...records, ...records])
    }
  })

  it("resets a projector group anywhere, per topic and partition, and says what that means", async () => {
    const deployment = await freshDeployment(kafka, "replayp")
    await simulate(deployment, simulationFlags(10, 5, 6))
    const { topics } = deployment
    const ends = await endOffsets(admin, [topics.interactions])
    const dryRun = await replay(deployment, [
      "--group",
      deployment.projectorGroup,
      "--to-offset",
      "2",
      "--topic",
      `${topics.interactions}:1`,
      "--json"
    ])
    expect(dryRun.code, dryRun.stderr).toBe(0)
    const { plan } = JSON.parse(dryRun.stdout) as {
      plan: { partitions: Array<{ topic: string; partition: number; current: number; next: number; replayed: number }> }
    }
    // the group has committed nothing: it would read from the log start, so moving to 2 skips 2
    expect(plan.partitions).toEqual([
      expect.objectContaining({
        topic: topics.interactions,
        partition: 1,
        current: 0,
        next: Math.min(2, ends.get(`${topics.interactions}:1`)!)
      })
    ])
    const text = await replay(deployment, ["--group", deployment.projectorGroup, "--to-earliest"])
    expect(text.stdout).toContain("a projector group")
    expect(text.stdout).toContain("dry run: nothing changed")
    const both = await replay(deployment, ["--group", deployment.projectorGroup, "--to-earliest", "--to-offset", "3"])
    expect(both.code).not.toBe(0)
    expect(both.stderr).toContain("give exactly one")
  })
})
