import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { LocalInfra, repoRoot } from "@xpscore/infra"
import { ConfigProvider, Effect, Layer } from "effect"

/**
 * The fault suite's own Kafka broker and ClickHouse server. The shared local
 * ones (19092, 18123) serve every other engineer's tests, and the scenarios
 * here restart a broker and stop a ClickHouse server: so each run of the
 * suite starts a pair of its own, in its own XPSCORE_HOME, on ports nobody
 * else uses, and stops them (by the pids LocalInfra recorded) when it ends.
 */
export interface FaultInfraSettings {
  /** the run's XPSCORE_HOME: broker and server data, logs, pid files, the summary table's rows */
  readonly home: string
  readonly kafkaPort: number
  readonly kafkaControllerPort: number
  readonly clickhouseHttpPort: number
  readonly clickhouseTcpPort: number
}

/** Under .xpscore (git-ignored), one folder per run. */
export const faultRunsFolder = path.join(process.env.XPSCORE_HOME ?? path.join(repoRoot, ".xpscore"), "faults")

const OWNER_FILE = "owner.json"

export const faultInfraEnv = (settings: FaultInfraSettings): Record<string, string> => ({
  XPSCORE_HOME: settings.home,
  XPSCORE_LOCAL_KAFKA_PORT: String(settings.kafkaPort),
  XPSCORE_LOCAL_KAFKA_CONTROLLER_PORT: String(settings.kafkaControllerPort),
  XPSCORE_LOCAL_CLICKHOUSE_HTTP_PORT: String(settings.clickhouseHttpPort),
  XPSCORE_LOCAL_CLICKHOUSE_TCP_PORT: String(settings.clickhouseTcpPort)
})

const layerFor = (settings: FaultInfraSettings) =>
  LocalInfra.layer.pipe(
    Layer.provide(ConfigProvider.layer(ConfigProvider.fromEnv({ env: { ...faultInfraEnv(settings) } })))
  )

/** Runs `use` with the LocalInfra of this run's home and ports. */
export const withFaultInfra = <A, E>(
  settings: FaultInfraSettings,
  use: (infra: LocalInfra["Service"]) => Effect.Effect<A, E>
): Promise<A> =>
  Effect.runPromise(
    Effect.gen(function* () {
      return yield* use(yield* LocalInfra)
    }).pipe(
      Effect.provide(layerFor(settings)),
      Effect.mapError((error) => new Error(`fault infrastructure: ${(error as { message?: string }).message ?? error}`))
    )
  )

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()))
    })
  })

const processAlive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

/**
 * The broker's jars as the main home resolved them (hard links, else
 * copies): a run does not resolve Kafka from Maven again.
 */
const reuseKafkaJars = (home: string) => {
  const mainKafka = path.join(process.env.XPSCORE_HOME ?? path.join(repoRoot, ".xpscore"), "kafka")
  const libs = path.join(mainKafka, "libs")
  const stamp = path.join(mainKafka, "libs.pom.sha256")
  if (!fs.existsSync(libs) || !fs.existsSync(stamp)) return
  const target = path.join(home, "kafka", "libs")
  fs.mkdirSync(target, { recursive: true })
  for (const jar of fs.readdirSync(libs)) {
    try {
      fs.linkSync(path.join(libs, jar), path.join(target, jar))
    } catch {
      fs.copyFileSync(path.join(libs, jar), path.join(target, jar))
    }
  }
  fs.copyFileSync(stamp, path.join(home, "kafka", "libs.pom.sha256"))
}

/**
 * Runs whose suite process is gone (killed before its teardown): their
 * broker and server are stopped by their recorded pids, their folders removed.
 */
export const cleanUpAbandonedRuns = async () => {
  if (!fs.existsSync(faultRunsFolder)) return
  for (const name of fs.readdirSync(faultRunsFolder)) {
    const home = path.join(faultRunsFolder, name)
    // a removal the machine stopped before it finished
    if (name.startsWith(REMOVING)) {
      spawn("rm", ["-rf", home], { detached: true, stdio: "ignore" }).unref()
      continue
    }
    const ownerFile = path.join(home, OWNER_FILE)
    if (!fs.existsSync(ownerFile)) continue
    const owner = JSON.parse(fs.readFileSync(ownerFile, "utf8")) as { pid: number; settings: FaultInfraSettings }
    if (processAlive(owner.pid)) continue
    await withFaultInfra(owner.settings, (infra) => infra.down)
    removeInBackground(home)
  }
}

/** A new run: its own home and free ports, recorded with the pid of the process that owns it. */
export const newFaultRun = async (): Promise<FaultInfraSettings> => {
  const home = path.join(faultRunsFolder, `run-${process.pid}-${Date.now().toString(36)}`)
  fs.mkdirSync(home, { recursive: true })
  const settings: FaultInfraSettings = {
    home,
    kafkaPort: await freePort(),
    kafkaControllerPort: await freePort(),
    clickhouseHttpPort: await freePort(),
    clickhouseTcpPort: await freePort()
  }
  fs.writeFileSync(path.join(home, OWNER_FILE), JSON.stringify({ pid: process.pid, settings }))
  reuseKafkaJars(home)
  return settings
}

export const kafkaBrokersOf = (settings: FaultInfraSettings) => `127.0.0.1:${settings.kafkaPort}`
export const clickhouseUrlOf = (settings: FaultInfraSettings) => `http://127.0.0.1:${settings.clickhouseHttpPort}`

export const startFaultInfra = (settings: FaultInfraSettings) => withFaultInfra(settings, (infra) => infra.up)

export const stopFaultInfra = (settings: FaultInfraSettings) => withFaultInfra(settings, (infra) => infra.down)

const REMOVING = "removing-"

/**
 * Removes a folder in a process of its own, detached: a run's ClickHouse data
 * is a hundred thousand part files and more, minutes of unlinking on a busy
 * disk, which the suite need not wait for. Renamed first, so that it is gone
 * from its place at once.
 */
const removeInBackground = (folder: string) => {
  const doomed = path.join(path.dirname(folder), `${REMOVING}${path.basename(folder)}`)
  fs.renameSync(folder, doomed)
  spawn("rm", ["-rf", doomed], { detached: true, stdio: "ignore" }).unref()
}

/** Stops the run's broker and server and removes its folder (in the background). */
export const removeFaultRun = async (settings: FaultInfraSettings) => {
  await stopFaultInfra(settings)
  removeInBackground(settings.home)
}

/** Where the last run's process logs (every scenario's services, broker and server) are kept. */
export const lastRunLogs = path.join(faultRunsFolder, "last-run-logs")

/** Copies the run's logs to {@link lastRunLogs}, replacing the previous run's. */
export const keepLogs = (settings: FaultInfraSettings) => {
  fs.rmSync(lastRunLogs, { recursive: true, force: true })
  for (const [from, to] of [
    ["logs", "scenarios"],
    ["kafka/logs", "kafka"],
    ["clickhouse/logs", "clickhouse"]
  ] as const) {
    const source = path.join(settings.home, from)
    if (fs.existsSync(source)) fs.cpSync(source, path.join(lastRunLogs, to), { recursive: true })
  }
  console.log(`logs of this run: ${lastRunLogs}`)
}

/** A clean broker stop (SIGTERM, controlled shutdown), by the pid LocalInfra recorded. */
export const stopKafka = (settings: FaultInfraSettings) => withFaultInfra(settings, (infra) => infra.downKafka)

/** A hard broker stop: SIGKILL to the recorded pid, no shutdown at all (the restart recovers its logs). */
export const killKafka = (settings: FaultInfraSettings) =>
  withFaultInfra(settings, (infra) =>
    Effect.gen(function* () {
      const kafka = (yield* infra.status).find((status) => status.service === "kafka")
      if (kafka?.pid === undefined) return false
      process.kill(kafka.pid, "SIGKILL")
      while ((yield* infra.status).some((status) => status.service === "kafka" && status.running)) {
        yield* Effect.sleep("50 millis")
      }
      return true
    })
  )

export const startKafka = (settings: FaultInfraSettings) => withFaultInfra(settings, (infra) => infra.upKafka)

export const stopClickHouse = (settings: FaultInfraSettings) =>
  withFaultInfra(settings, (infra) => infra.downClickHouse)

export const startClickHouse = (settings: FaultInfraSettings) => withFaultInfra(settings, (infra) => infra.upClickHouse)
