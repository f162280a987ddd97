import type { PartitionStatus, ProcessorStatus } from "@xpscore/kafka"
import { describe, expect, it } from "vitest"
import { liveness, makeScorerHealth, readiness } from "../src/scorerHealth.ts"

const partition = (n: number, phase: PartitionStatus["phase"]): PartitionStatus => ({
  partition: n,
  phase,
  nextOffset: phase === "ready" ? "10" : undefined,
  lag: undefined,
  stateSize: 3,
  lastCommitAtMs: undefined,
  consecutiveFailures: 0,
  lastError: undefined
})

const status = (
  partitions: ReadonlyArray<PartitionStatus>,
  overrides: Partial<ProcessorStatus> = {}
): ProcessorStatus => ({
  joined: true,
  draining: false,
  partitions,
  lastLoopAtMs: 1_000,
  batchInFlightSinceMs: undefined,
  ...overrides
})

const running = () => ({ ...makeScorerHealth(), phase: "running" as const })

describe("/readyz", () => {
  it("is false while starting, while any assigned partition is restoring, with nothing assigned, and while draining", () => {
    expect(readiness(makeScorerHealth(), undefined).ok).toBe(false)
    expect(readiness(running(), status([partition(0, "ready"), partition(1, "preparing")])).ok).toBe(false)
    expect(readiness(running(), status([partition(0, "ready"), partition(1, "retrying")])).ok).toBe(false)
    expect(readiness(running(), status([])).ok).toBe(false)
    expect(readiness(running(), status([partition(0, "ready")], { draining: true })).ok).toBe(false)
    expect(readiness(running(), status([partition(0, "ready")], { joined: false })).ok).toBe(false)
  })

  it("is true once every assigned partition is restored", () => {
    const verdict = readiness(running(), status([partition(0, "ready"), partition(1, "ready")]))
    expect(verdict.ok).toBe(true)
    expect(verdict.body).toMatchObject({ assigned: 2, ready: 2 })
  })
})

describe("/healthz", () => {
  it("fails when the loop has not turned, or a batch has run, for longer than the stall limit", () => {
    expect(liveness(running(), status([]), 5_000, 3_000).ok).toBe(true)
    expect(liveness(running(), status([]), 5_000, 7_000).ok).toBe(false)
    expect(liveness(running(), status([], { lastLoopAtMs: 9_000, batchInFlightSinceMs: 1_000 }), 5_000, 9_500).ok).toBe(
      false
    )
  })

  it("passes while starting as long as the start-up loop keeps trying", () => {
    const health = { ...makeScorerHealth(), lastStartupAttemptAtMs: 1_000 }
    expect(liveness(health, undefined, 5_000, 2_000).ok).toBe(true)
    expect(liveness(health, undefined, 5_000, 7_000).ok).toBe(false)
  })
})
