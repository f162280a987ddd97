import { createServer } from "node:http"
import { NodeHttpServer } from "@effect/platform-node"
import { Effect, Layer } from "effect"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { PrometheusMetrics } from "effect/observability"

/** A health check's answer: 200 with `body` when ok, else 503. */
export interface Verdict {
  readonly ok: boolean
  readonly body: Record<string, unknown>
}

const respond = (verdict: Verdict) => HttpServerResponse.jsonUnsafe(verdict.body, { status: verdict.ok ? 200 : 503 })

/**
 * GET /healthz (liveness: the service makes progress), /readyz (it does its
 * job now) and /metrics (Prometheus text of every Effect metric, after
 * `beforeScrape` refreshed the gauges) on `host:port`; logs the bound
 * address. The verdicts are evaluated per request.
 */
export const healthEndpointsLayer = (options: {
  readonly host: string
  readonly port: number
  readonly liveness: Effect.Effect<Verdict>
  readonly readiness: Effect.Effect<Verdict>
  readonly beforeScrape: Effect.Effect<void>
}) =>
  HttpRouter.serve(
    Layer.mergeAll(
      HttpRouter.add("GET", "/healthz", Effect.map(options.liveness, respond)),
      HttpRouter.add("GET", "/readyz", Effect.map(options.readiness, respond)),
      HttpRouter.add(
        "GET",
        "/metrics",
        Effect.gen(function* () {
          yield* options.beforeScrape
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
