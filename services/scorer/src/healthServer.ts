import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import type { ProcessorStatus } from "@xpscore/kafka"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import { sampleGauges } from "./scorerMetrics.ts"

/** Where the scorer is in its life, for /healthz and /readyz. */
export interface ScorerHealth {
  phase: "starting" | "running" | "stopping"
  /** the start-up loop's last attempt (waiting for Kafka), epoch ms */
  lastStartupAttemptAtMs: number
  startupError: string | undefined
  processorStatus: Effect.Effect<ProcessorStatus> | undefined
}

export const makeScorerHealth = (): ScorerHealth => ({
  phase: "starting",
  lastStartupAttemptAtMs: Date.now(),
  startupError: undefined,
  processorStatus: undefined
})

export interface Verdict {
  readonly ok: boolean
  readonly body: Record<string, unknown>
}

const respond = (verdict: Verdict) => HttpServerResponse.jsonUnsafe(verdict.body, { status: verdict.ok ? 200 : 503 })

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

/** GET /healthz, /readyz and /metrics (Prometheus text) on `host:port`; logs the bound address. */
export const healthServerLayer = (health: ScorerHealth, options: { host: string; port: number; stallMs: number }) =>
  HttpRouter.serve(
    Layer.mergeAll(
      HttpRouter.add(
        "GET",
        "/healthz",
        Effect.map(currentStatus(health), (status) => respond(liveness(health, status, options.stallMs, Date.now())))
      ),
      HttpRouter.add(
        "GET",
        "/readyz",
        Effect.map(currentStatus(health), (status) => respond(readiness(health, status)))
      ),
      HttpRouter.add(
        "GET",
        "/metrics",
        Effect.gen(function* () {
          const status = yield* currentStatus(health)
          if (status !== undefined) yield* sampleGauges(status)
          const body = yield* PrometheusMetrics.format()
          return HttpServerResponse.text(body, { contentType: "text/plain; version=0.0.4; charset=utf-8" })
        })
      )
    ),
    { disableLogger: true, disableListenLog: true }
  ).pipe(
    Layer.tap(() =>
      Effect.gen(function* () {
        const server = yield* HttpServer.HttpServer
        yield* Effect.logInfo("health and metrics listening").pipe(
          Effect.annotateLogs({ address: HttpServer.formatAddress(server.address) })
        )
      })
    ),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { host: options.host, port: options.port }))
  )
