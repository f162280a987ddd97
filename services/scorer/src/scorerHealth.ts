import type { ProcessorStatus } from "@xpscore/kafka"
import { healthEndpointsLayer, type StartupProgress, type Verdict } from "@xpscore/service"
import { Effect } from "effect"
import { sampleGauges } from "./scorerMetrics.ts"

/** Where the scorer is in its life, for /healthz and /readyz. */
export interface ScorerHealth extends StartupProgress {
  phase: "starting" | "running" | "stopping"
  processorStatus: Effect.Effect<ProcessorStatus> | undefined
}

export const makeScorerHealth = (): ScorerHealth => ({
  phase: "starting",
  lastStartupAttemptAtMs: Date.now(),
  startupError: undefined,
  processorStatus: undefined
})

/**
 * Liveness: the loop makes progress, not just the process alive. The
 * consumer's fetch loop turns at least every fetch wait (also while every
 * partition is paused for a restore) and no batch may take longer than
 * `stallMs`; while starting, the start-up loop must keep trying.
 */
export const liveness = (
  health: ScorerHealth,
  status: ProcessorStatus | undefined,
  stallMs: number,
  nowMs: number
): Verdict => {
  if (health.phase === "starting" || status === undefined) {
    const idleMs = nowMs - health.lastStartupAttemptAtMs
    return {
      ok: idleMs < stallMs,
      body: { phase: health.phase, lastAttemptMsAgo: idleMs, error: health.startupError ?? null }
    }
  }
  const loopIdleMs = nowMs - status.lastLoopAtMs
  const batchMs = status.batchInFlightSinceMs === undefined ? 0 : nowMs - status.batchInFlightSinceMs
  return {
    ok: loopIdleMs < stallMs && batchMs < stallMs,
    body: { phase: health.phase, loopIdleMs, batchInFlightMs: batchMs }
  }
}

/**
 * Readiness: a member of the group with partitions assigned, every one of
 * them restored from the changelog and being processed, and not draining.
 */
export const readiness = (health: ScorerHealth, status: ProcessorStatus | undefined): Verdict => {
  if (health.phase !== "running" || status === undefined) {
    return { ok: false, body: { phase: health.phase, error: health.startupError ?? null } }
  }
  const ready = status.partitions.filter((p) => p.phase === "ready").length
  return {
    ok: status.joined && !status.draining && status.partitions.length > 0 && ready === status.partitions.length,
    body: {
      phase: health.phase,
      joined: status.joined,
      draining: status.draining,
      assigned: status.partitions.length,
      ready,
      partitions: status.partitions.map((p) => ({
        partition: p.partition,
        phase: p.phase,
        nextOffset: p.nextOffset ?? null,
        lag: p.lag ?? null,
        customers: p.stateSize,
        consecutiveFailures: p.consecutiveFailures,
        lastError: p.lastError ?? null
      }))
    }
  }
}

const currentStatus = (health: ScorerHealth) =>
  Effect.suspend(() => (health.processorStatus === undefined ? Effect.succeed(undefined) : health.processorStatus))

/** The scorer's /healthz, /readyz and /metrics on `host:port`. */
export const scorerHealthEndpoints = (health: ScorerHealth, options: { host: string; port: number; stallMs: number }) =>
  healthEndpointsLayer({
    host: options.host,
    port: options.port,
    liveness: Effect.map(currentStatus(health), (status) => liveness(health, status, options.stallMs, Date.now())),
    readiness: Effect.map(currentStatus(health), (status) => readiness(health, status)),
    beforeScrape: Effect.flatMap(currentStatus(health), (status) =>
      status === undefined ? Effect.void : sampleGauges(status)
    )
  })
