import type { BatchConsumerStatus } from "@xpscore/kafka"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { liveness, makeProjectorHealth, readiness } from "../src/projectorHealth.ts"

const status = (overrides: Partial<BatchConsumerStatus>): BatchConsumerStatus => ({
  joined: true,
  assignment: [{ topic: "xp.scores", partitions: [0, 1] }],
  bufferedRows: 0,
  pausedFor: [],
  lastLoopAtMs: 1_000_000,
  lastWriteAtMs: 999_000,
  consecutiveFailures: 0,
  lastError: undefined,
  lag: [],
  ...overrides
})

const consuming = (s: BatchConsumerStatus) => ({
  ...makeProjectorHealth(),
  phase: "consuming" as const,
  consumerStatus: Effect.succeed(s)
})

describe("projector health", () => {
  it("is live while the start-up loop keeps trying, and ready only once consuming", async () => {
    const health = { ...makeProjectorHealth(), lastStartupAttemptAtMs: 1_000_000, startupError: "ClickHouse down" }
    expect((await Effect.runPromise(liveness(health, 60_000, 1_030_000))).ok).toBe(true)
    expect((await Effect.runPromise(liveness(health, 60_000, 1_090_000))).ok).toBe(false)
    expect((await Effect.runPromise(readiness(health))).ok).toBe(false)
  })

  it("is live while the flush loop turns, even while writes fail; not ready while they fail", async () => {
    const failing = consuming(status({ consecutiveFailures: 3, lastError: "ClickHouse insert failed" }))
    expect((await Effect.runPromise(liveness(failing, 60_000, 1_010_000))).ok).toBe(true)
    expect(await Effect.runPromise(readiness(failing))).toMatchObject({ ok: false, body: { consecutiveFailures: 3 } })
    expect((await Effect.runPromise(readiness(consuming(status({}))))).ok).toBe(true)
  })

  it("is not live when the flush loop stalled, and not ready outside the group", async () => {
    expect((await Effect.runPromise(liveness(consuming(status({})), 60_000, 1_061_000))).ok).toBe(false)
    expect((await Effect.runPromise(readiness(consuming(status({ joined: false }))))).ok).toBe(false)
  })
})
