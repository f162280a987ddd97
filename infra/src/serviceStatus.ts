/** What `infra status` reports for one local service. */
export interface ServiceStatus {
  readonly service: "kafka" | "clickhouse"
  readonly running: boolean
  readonly pid: number | undefined
  readonly endpoint: string
  readonly ports: ReadonlyArray<number>
  readonly version: string | undefined
  readonly dataDir: string
  readonly logFile: string
}
