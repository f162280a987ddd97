import { Config } from "effect"

/**
 * Ports of the local single-node services. They are off the well-known ports
 * (9092, 8123) so that a developer's own Kafka or ClickHouse keeps working
 * beside them; everything binds to 127.0.0.1 only.
 */
export const localEndpointsConfig = Config.all({
  kafkaPort: Config.Port("XPSCORE_LOCAL_KAFKA_PORT").pipe(Config.withDefault(19092)),
  kafkaControllerPort: Config.Port("XPSCORE_LOCAL_KAFKA_CONTROLLER_PORT").pipe(Config.withDefault(19093)),
  clickhouseHttpPort: Config.Port("XPSCORE_LOCAL_CLICKHOUSE_HTTP_PORT").pipe(Config.withDefault(18123)),
  clickhouseTcpPort: Config.Port("XPSCORE_LOCAL_CLICKHOUSE_TCP_PORT").pipe(Config.withDefault(19000)),
  biPassword: Config.String("XPSCORE_LOCAL_BI_PASSWORD").pipe(Config.withDefault("bi"))
})

export type LocalEndpoints = Config.Success<typeof localEndpointsConfig>

export const kafkaBootstrap = (endpoints: LocalEndpoints) => `127.0.0.1:${endpoints.kafkaPort}`
export const clickhouseHttpUrl = (endpoints: LocalEndpoints) => `http://127.0.0.1:${endpoints.clickhouseHttpPort}`
