import * as path from "node:path"
import { Config, Option, Redacted, Schema } from "effect"
import { clickhouseHttpUrl, kafkaBootstrap, localEndpointsConfig } from "./localEndpoints.ts"
import { xpscoreHome } from "./xpscoreHome.ts"

const BrokerList = Schema.String.check(
  Schema.isPattern(/^\s*[^\s:,]+:\d{1,5}\s*(,\s*[^\s:,]+:\d{1,5}\s*)*$/, {
    message: "expected a comma-separated list of host:port, e.g. 127.0.0.1:9092"
  })
)

/**
 * `KAFKA_BROKERS`: comma-separated `host:port` list; by default the local
 * broker that `xpscore infra up` starts.
 */
export const kafkaBrokersConfig = Config.all({
  explicit: Config.schema(BrokerList, "KAFKA_BROKERS").pipe(Config.option),
  local: localEndpointsConfig
}).pipe(
  Config.map(({ explicit, local }) =>
    Option.match(explicit, {
      onNone: () => [kafkaBootstrap(local)],
      onSome: (list) => list.split(",").map((broker) => broker.trim())
    })
  )
)

const DatabaseName = Schema.String.check(
  Schema.isPattern(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, {
    message: "expected an identifier: a letter or _, then up to 63 letters, digits or _"
  })
)

/** How xpscore reaches ClickHouse: a server over HTTP, or the embedded engine in this process. */
export type ClickHouseTarget =
  | {
      readonly mode: "server"
      readonly url: string
      readonly username: string
      readonly password: Redacted.Redacted<string>
      readonly database: string
    }
  | { readonly mode: "embedded"; readonly path: string; readonly database: string }

/**
 * `CLICKHOUSE_URL` set: a ClickHouse server (`CLICKHOUSE_USER`,
 * `CLICKHOUSE_PASSWORD`). Unset: embedded chDB with its data in
 * `XPSCORE_CHDB_PATH` (default `$XPSCORE_HOME/chdb`). Either way the tables live
 * in `XPSCORE_CLICKHOUSE_DATABASE` (default `xpscore`).
 */
export const clickhouseTargetConfig = Config.all({
  url: Config.URL("CLICKHOUSE_URL").pipe(Config.option),
  username: Config.String("CLICKHOUSE_USER").pipe(Config.withDefault("default")),
  password: Config.Redacted("CLICKHOUSE_PASSWORD").pipe(Config.withDefault(Redacted.make(""))),
  database: Config.schema(DatabaseName, "XPSCORE_CLICKHOUSE_DATABASE").pipe(Config.withDefault("xpscore")),
  chdbPath: Config.String("XPSCORE_CHDB_PATH").pipe(Config.option),
  home: xpscoreHome
}).pipe(
  Config.map(
    ({ url, username, password, database, chdbPath, home }): ClickHouseTarget =>
      Option.match(url, {
        onSome: (server) => ({ mode: "server", url: server.origin, username, password, database }),
        onNone: () => ({
          mode: "embedded",
          path: path.resolve(Option.getOrElse(chdbPath, () => path.join(home, "chdb"))),
          database
        })
      })
  )
)

/** The local server, as `xpscore infra up` starts it, for tooling that wants it explicitly. */
export const localClickHouseServerUrl = localEndpointsConfig.pipe(Config.map(clickhouseHttpUrl))
