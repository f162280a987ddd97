import type { BatchConsumerStatus } from "@xpscore/kafka"
import { healthEndpointsLayer, type StartupProgress, type Verdict } from "@xpscore/service"
import { Effect, Metric } from "effect"
import { projectorMetrics } from "./projectorMetrics.ts"

/** Where the projector is in its life, for /healthz and /readyz. */
export interface ProjectorHealth extends StartupProgress {
  phase: "starting" | "consuming" | "stopping"
  consumerStatus: Effect.Effect<BatchConsumerStatus> | undefined
}

export const makeProjectorHealth = (): ProjectorHealth => ({
  phase: "starting",
  lastStartupAttemptAtMs: Date.now(),
  startupError: undefined,
  consumerStatus: undefined
})

/**
 * Liveness: the loop makes progress. While starting, the start-up loop keeps
 * trying (waiting for ClickHouse or Kafka is not a reason to be restarted);
 * afterwards the flush loop must have turned within `stallMs`, which it does
 * at least every batch interval and on every retry of a failing write.
 */
export const liveness = (health: ProjectorHealth, stallMs: number, nowMs: number): Effect.Effect<Verdict> =>
  Effect.gen(function* () {
    if (health.phase !== "consuming" || health.consumerStatus === undefined) {
      const idleMs = nowMs - health.lastStartupAttemptAtMs
      return {
        ok: idleMs < stallMs,
        body: { phase: health.phase, lastAttemptMsAgo: idleMs, error: health.startupError ?? null }
      }
    }
    const status = yield* health.consumerStatus
    const idleMs = nowMs - status.lastLoopAtMs
    return {
      ok: idleMs < stallMs,
      body: {
        phase: health.phase,
        loopIdleMs: idleMs,
        consecutiveFailures: status.consecutiveFailures,
        lastError: status.lastError ?? null
      }
    }
  })

/** Readiness: consuming as a group member, and the last write went through. */
export const readiness = (health: ProjectorHealth): Effect.Effect<Verdict> =>
  Effect.gen(function* () {
    if (health.phase !== "consuming" || health.consumerStatus === undefined) {
      return { ok: false, body: { phase: health.phase, error: health.startupError ?? null } }
    }
    const status = yield* health.consumerStatus
    return {
      ok: status.joined && status.consecutiveFailures === 0,
      body: {
        phase: health.phase,
        joined: status.joined,
        assignment: status.assignment,
        bufferedRows: status.bufferedRows,
        pausedFor: status.pausedFor,
        consecutiveFailures: status.consecutiveFailures,
        lastError: status.lastError ?? null,
        lag: status.lag
      }
    }
  })

/** Gauges are sampled when scraped, from the consumer's own bookkeeping. */
const sampleGauges = (health: ProjectorHealth) =>
  Effect.gen(function* () {
    if (health.consumerStatus === undefined) return
    const status = yield* health.consumerStatus
    yield* Metric.update(projectorMetrics.paused, status.pausedFor.length > 0 ? 1 : 0)
    for (const { topic, partition, lag } of status.lag) {
      yield* Metric.update(Metric.withAttributes(projectorMetrics.lag, { topic, partition: String(partition) }), lag)
    }
  })

/** The projector's /healthz, /readyz and /metrics on `host:port`. */
export const projectorHealthEndpoints = (
  health: ProjectorHealth,
  options: { host: string; port: number; stallMs: number }
) =>
  healthEndpointsLayer({
    host: options.host,
    port: options.port,
    liveness: Effect.suspend(() => liveness(health, options.stallMs, Date.now())),
    readiness: Effect.suspend(() => readiness(health)),
    beforeScrape: sampleGauges(health)
  })
