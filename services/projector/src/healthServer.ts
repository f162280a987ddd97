import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import type { BatchConsumerStatus } from "@xpscore/kafka"
import { Effect, Layer, Metric } from "effect"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"
import { projectorMetrics } from "./projectorMetrics.ts"

/** Where the projector is in its life, for /healthz and /readyz. */
export interface ProjectorHealth {
  phase: "starting" | "consuming" | "stopping"
  /** the start-up loop's last attempt (waiting for ClickHouse or Kafka), epoch ms */
  lastStartupAttemptAtMs: number
  startupError: string | undefined
  consumerStatus: Effect.Effect<BatchConsumerStatus> | undefined
}

export const makeProjectorHealth = (): ProjectorHealth => ({
  phase: "starting",
  lastStartupAttemptAtMs: Date.now(),
  startupError: undefined,
  consumerStatus: undefined
})

interface Verdict {
  readonly ok: boolean
  readonly body: Record<string, unknown>
}

const respond = (verdict: Verdict) => HttpServerResponse.jsonUnsafe(verdict.body, { status: verdict.ok ? 200 : 503 })

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

/** GET /healthz, /readyz and /metrics (Prometheus text) on `host:port`; logs the bound address. */
export const healthServerLayer = (health: ProjectorHealth, options: { host: string; port: number; stallMs: number }) =>
  HttpRouter.serve(
    Layer.mergeAll(
      HttpRouter.add(
        "GET",
        "/healthz",
        Effect.suspend(() => liveness(health, options.stallMs, Date.now())).pipe(Effect.map(respond))
      ),
      HttpRouter.add("GET", "/readyz", Effect.suspend(() => readiness(health)).pipe(Effect.map(respond))),
      HttpRouter.add(
        "GET",
        "/metrics",
        Effect.gen(function* () {
          yield* sampleGauges(health)
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
