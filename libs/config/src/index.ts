export {
  type ClickHouseTarget,
  clickhouseTargetConfig,
  kafkaBrokersConfig,
  localClickHouseServerUrl
} from "./connections.ts"
export { clickhouseHttpUrl, kafkaBootstrap, type LocalEndpoints, localEndpointsConfig } from "./localEndpoints.ts"
export { xpscoreHome } from "./xpscoreHome.ts"
