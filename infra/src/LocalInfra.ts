import * as fs from "node:fs"
import { clickhouseHttpUrl, kafkaBootstrap, localEndpointsConfig, xpscoreHome } from "@xpscore/config"
import { Context, Effect, Layer } from "effect"
import type { InfraError } from "./errors.ts"
import { localClickHouse } from "./localClickHouse.ts"
import { localKafka } from "./localKafka.ts"
import type { ServiceStatus } from "./serviceStatus.ts"

/**
 * The local single-node Kafka broker and ClickHouse server, for machines
 * without Docker. `up` is idempotent (a running service is reused), `down`
 * stops exactly the processes recorded in our pid files.
 */
export class LocalInfra extends Context.Service<
  LocalInfra,
  {
    readonly home: string
    readonly kafkaBrokers: string
    readonly clickhouseUrl: string
    readonly biPassword: string
    readonly up: Effect.Effect<ReadonlyArray<ServiceStatus>, InfraError>
    readonly upKafka: Effect.Effect<ServiceStatus, InfraError>
    readonly upClickHouse: Effect.Effect<ServiceStatus, InfraError>
    readonly downKafka: Effect.Effect<boolean>
    readonly downClickHouse: Effect.Effect<boolean>
    /** Stops what is running; returns the services that were stopped. */
    readonly down: Effect.Effect<ReadonlyArray<ServiceStatus["service"]>>
    readonly status: Effect.Effect<ReadonlyArray<ServiceStatus>>
    readonly logFiles: Readonly<Record<ServiceStatus["service"], string>>
  }
>()("@xpscore/infra/LocalInfra") {
  static readonly layer = Layer.effect(
    LocalInfra,
    Effect.gen(function* () {
      const home = yield* xpscoreHome
      const endpoints = yield* localEndpointsConfig
      fs.mkdirSync(home, { recursive: true })
      const kafka = localKafka(home, endpoints)
      const clickhouse = localClickHouse(home, endpoints)
      return LocalInfra.of({
        home,
        kafkaBrokers: kafkaBootstrap(endpoints),
        clickhouseUrl: clickhouseHttpUrl(endpoints),
        biPassword: endpoints.biPassword,
        // Kafka's JVM start dominates; the ClickHouse server starts meanwhile.
        up: Effect.all([kafka.up, clickhouse.up], { concurrency: 2 }),
        upKafka: kafka.up,
        upClickHouse: clickhouse.up,
        downKafka: kafka.down,
        downClickHouse: clickhouse.down,
        down: Effect.gen(function* () {
          const [kafkaStopped, clickhouseStopped] = yield* Effect.all([kafka.down, clickhouse.down], {
            concurrency: 2
          })
          return [
            ...(kafkaStopped ? (["kafka"] as const) : []),
            ...(clickhouseStopped ? (["clickhouse"] as const) : [])
          ]
        }),
        status: Effect.all([kafka.status, clickhouse.status]),
        logFiles: { kafka: kafka.logFile, clickhouse: clickhouse.logFile }
      })
    })
  )
}
