/** What the global setup hands to integration and e2e tests (read with `inject`). */
export interface TestInfra {
  /** comma-separated bootstrap servers */
  readonly kafkaBrokers: string
  /** a ClickHouse server's HTTP URL (the embedded engine needs no address) */
  readonly clickhouseUrl: string
  /** the read-only BI user on that server */
  readonly clickhouseBiUser: string
  readonly clickhouseBiPassword: string
  /** where each came from: env, testcontainers or local */
  readonly kafkaSource: InfraSource
  readonly clickhouseSource: InfraSource
}

export type InfraSource = "env" | "testcontainers" | "local"

declare module "vitest" {
  export interface ProvidedContext {
    testInfra: TestInfra
  }
}
