import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { kafkaBootstrap, type LocalEndpoints } from "@xpscore/config"
import { Effect } from "effect"
import { Kafka, logLevel } from "kafkajs"
import { ServiceNotReady } from "./errors.ts"
import { kafkaClusterId } from "./kafkaClusterId.ts"
import { infraTemplates } from "./localPaths.ts"
import { ensureJava, ensureMaven } from "./prerequisites.ts"
import { runCommand, runningPid, spawnDaemon, stopDaemon, tailOf } from "./processes.ts"
import type { ServiceStatus } from "./serviceStatus.ts"
import { renderTemplate, writeIfChanged } from "./templates.ts"

const layoutOf = (home: string) => {
  const root = path.join(home, "kafka")
  return {
    root,
    libs: path.join(root, "libs"),
    libsStamp: path.join(root, "libs.pom.sha256"),
    data: path.join(root, "data"),
    logs: path.join(root, "logs"),
    config: path.join(root, "server.properties"),
    pidFile: path.join(root, "kafka.pid")
  }
}

const sha256 = (file: string) => createHash("sha256").update(fs.readFileSync(file)).digest("hex")

/** The jars of the newest Kafka 3.9.x, resolved once by Maven and cached until the pom changes. */
const ensureJars = (layout: ReturnType<typeof layoutOf>) =>
  Effect.gen(function* () {
    const want = sha256(infraTemplates.kafkaPom)
    const have = fs.existsSync(layout.libsStamp) ? fs.readFileSync(layout.libsStamp, "utf8").trim() : ""
    if (have === want && fs.existsSync(layout.libs)) return
    yield* ensureMaven
    yield* Effect.logInfo("resolving Apache Kafka 3.9.x from Maven Central")
    fs.rmSync(layout.libs, { recursive: true, force: true })
    yield* runCommand("mvn", [
      "-q",
      "-B",
      "-f",
      infraTemplates.kafkaPom,
      "dependency:copy-dependencies",
      `-DoutputDirectory=${layout.libs}`,
      "-DincludeScope=runtime"
    ])
    fs.writeFileSync(layout.libsStamp, `${want}\n`)
  })

const kafkaVersionIn = (libs: string) => {
  const jar = fs.existsSync(libs) ? fs.readdirSync(libs).find((name) => /^kafka_2\.13-.*\.jar$/.test(name)) : undefined
  return jar?.replace(/^kafka_2\.13-/, "").replace(/\.jar$/, "")
}

const javaArgs = (layout: ReturnType<typeof layoutOf>, mainClass: string, args: ReadonlyArray<string>) => [
  "-Xms256m",
  "-Xmx1g",
  "-XX:+UseG1GC",
  "-Djava.awt.headless=true",
  `-Dkafka.logs.dir=${layout.logs}`,
  `-Dlog4j.configuration=file:${infraTemplates.kafkaLog4j}`,
  "-cp",
  `${layout.libs}/*`,
  mainClass,
  ...args
]

const formatStorage = (layout: ReturnType<typeof layoutOf>) =>
  Effect.gen(function* () {
    if (fs.existsSync(path.join(layout.data, "meta.properties"))) return
    fs.mkdirSync(layout.data, { recursive: true })
    yield* runCommand(
      "java",
      javaArgs(layout, "kafka.tools.StorageTool", ["format", "-t", kafkaClusterId(), "-c", layout.config])
    )
  })

/** True once the broker answers a metadata request. */
export const kafkaServesMetadata = (brokers: string) =>
  Effect.tryPromise(async () => {
    const admin = new Kafka({
      clientId: "xpscore-infra-probe",
      brokers: [brokers],
      logLevel: logLevel.NOTHING,
      connectionTimeout: 1000,
      retry: { retries: 0 }
    }).admin()
    try {
      await admin.connect()
      const cluster = await admin.describeCluster()
      return cluster.brokers.length > 0 && cluster.controller !== null
    } finally {
      await admin.disconnect()
    }
  }).pipe(Effect.orElseSucceed(() => false))

const waitUntilReady = (layout: ReturnType<typeof layoutOf>, brokers: string, timeoutMs: number) =>
  Effect.gen(function* () {
    const deadline = Date.now() + timeoutMs
    const logFile = path.join(layout.logs, "server.log")
    while (Date.now() < deadline) {
      if (runningPid(layout.pidFile) === undefined) {
        return yield* new ServiceNotReady({
          service: "kafka",
          reason: "the broker process exited while starting",
          logFile,
          logTail: `${tailOf(path.join(layout.logs, "stdout.log"))}\n${tailOf(logFile)}`
        })
      }
      if (yield* kafkaServesMetadata(brokers)) return
      yield* Effect.sleep("500 millis")
    }
    return yield* new ServiceNotReady({
      service: "kafka",
      reason: `no metadata from ${brokers} within ${timeoutMs / 1000}s`,
      logFile,
      logTail: tailOf(logFile)
    })
  })

export const localKafka = (home: string, endpoints: LocalEndpoints) => {
  const layout = layoutOf(home)
  const brokers = kafkaBootstrap(endpoints)

  const status = Effect.sync(
    (): ServiceStatus => ({
      service: "kafka",
      running: runningPid(layout.pidFile) !== undefined,
      pid: runningPid(layout.pidFile),
      endpoint: brokers,
      ports: [endpoints.kafkaPort, endpoints.kafkaControllerPort],
      version: kafkaVersionIn(layout.libs),
      dataDir: layout.data,
      logFile: path.join(layout.logs, "server.log")
    })
  )

  const up = Effect.gen(function* () {
    if (runningPid(layout.pidFile) !== undefined) {
      yield* waitUntilReady(layout, brokers, 60_000)
      return yield* status
    }
    fs.mkdirSync(layout.logs, { recursive: true })
    yield* ensureJava
    yield* ensureJars(layout)
    writeIfChanged(
      layout.config,
      renderTemplate(infraTemplates.kafkaServerProperties, {
        port: endpoints.kafkaPort,
        controllerPort: endpoints.kafkaControllerPort,
        dataDir: layout.data
      })
    )
    yield* formatStorage(layout)
    yield* Effect.logInfo(`starting Kafka ${kafkaVersionIn(layout.libs)} on ${brokers}`)
    yield* spawnDaemon({
      command: "java",
      args: javaArgs(layout, "kafka.Kafka", [layout.config]),
      logFile: path.join(layout.logs, "stdout.log"),
      pidFile: layout.pidFile,
      marker: layout.config
    })
    yield* waitUntilReady(layout, brokers, 120_000)
    return yield* status
  })

  // A clean broker shutdown can take a controlled-shutdown round trip; give it time before SIGKILL.
  const down = stopDaemon(layout.pidFile, 30_000)

  return { up, down, status, logFile: path.join(layout.logs, "server.log") } as const
}
