import * as fs from "node:fs"
import * as path from "node:path"
import { clickhouseHttpUrl, type LocalEndpoints } from "@xpscore/config"
import { Effect } from "effect"
import { ServiceNotReady } from "./errors.ts"
import { infraTemplates } from "./localPaths.ts"
import { ensureClickHouseServer } from "./prerequisites.ts"
import { runningPid, spawnDaemon, stopDaemon, tailOf } from "./processes.ts"
import type { ServiceStatus } from "./serviceStatus.ts"
import { renderTemplate, writeIfChanged } from "./templates.ts"

const layoutOf = (home: string) => {
  const root = path.join(home, "clickhouse")
  return {
    root,
    data: path.join(root, "data"),
    logs: path.join(root, "logs"),
    config: path.join(root, "config.xml"),
    users: path.join(root, "users.xml"),
    pidFile: path.join(root, "clickhouse.pid")
  }
}

const serverQuery = (url: string, sql: string) =>
  Effect.tryPromise(async () => {
    const response = await fetch(`${url}/?query=${encodeURIComponent(sql)}`, { signal: AbortSignal.timeout(2000) })
    if (!response.ok) throw new Error(`${response.status} ${await response.text()}`)
    return (await response.text()).trim()
  })

const answersPing = (url: string) =>
  Effect.tryPromise(async () => {
    const response = await fetch(`${url}/ping`, { signal: AbortSignal.timeout(1000) })
    return response.ok
  }).pipe(Effect.orElseSucceed(() => false))

export const localClickHouse = (home: string, endpoints: LocalEndpoints) => {
  const layout = layoutOf(home)
  const url = clickhouseHttpUrl(endpoints)
  const logFile = path.join(layout.logs, "server.log")

  const status = Effect.gen(function* () {
    const pid = runningPid(layout.pidFile)
    const version =
      pid === undefined
        ? undefined
        : yield* serverQuery(url, "SELECT version()").pipe(Effect.orElseSucceed(() => undefined))
    return {
      service: "clickhouse",
      running: pid !== undefined,
      pid,
      endpoint: url,
      ports: [endpoints.clickhouseHttpPort, endpoints.clickhouseTcpPort],
      version,
      dataDir: layout.data,
      logFile
    } satisfies ServiceStatus
  })

  const waitUntilReady = (timeoutMs: number) =>
    Effect.gen(function* () {
      const deadline = Date.now() + timeoutMs
      while (Date.now() < deadline) {
        if (runningPid(layout.pidFile) === undefined) {
          return yield* new ServiceNotReady({
            service: "clickhouse",
            reason: "the server process exited while starting",
            logFile,
            logTail: `${tailOf(path.join(layout.logs, "stdout.log"))}\n${tailOf(path.join(layout.logs, "error.log"))}`
          })
        }
        if (yield* answersPing(url)) return
        yield* Effect.sleep("250 millis")
      }
      return yield* new ServiceNotReady({
        service: "clickhouse",
        reason: `no answer on ${url}/ping within ${timeoutMs / 1000}s`,
        logFile,
        logTail: tailOf(path.join(layout.logs, "error.log"))
      })
    })

  const up = Effect.gen(function* () {
    if (runningPid(layout.pidFile) !== undefined) {
      yield* waitUntilReady(30_000)
      return yield* status
    }
    const binary = yield* ensureClickHouseServer
    for (const dir of [layout.logs, layout.data, path.join(layout.data, "tmp"), path.join(layout.data, "user_files")]) {
      fs.mkdirSync(dir, { recursive: true })
    }
    writeIfChanged(layout.users, renderTemplate(infraTemplates.clickhouseUsers, { biPassword: endpoints.biPassword }))
    writeIfChanged(
      layout.config,
      renderTemplate(infraTemplates.clickhouseConfig, {
        logDir: layout.logs,
        httpPort: endpoints.clickhouseHttpPort,
        tcpPort: endpoints.clickhouseTcpPort,
        dataDir: layout.data,
        usersConfig: layout.users
      })
    )
    yield* Effect.logInfo(`starting ClickHouse server on ${url}`)
    yield* spawnDaemon({
      command: binary,
      args: [`--config-file=${layout.config}`],
      cwd: layout.root,
      logFile: path.join(layout.logs, "stdout.log"),
      pidFile: layout.pidFile,
      marker: layout.config
    })
    yield* waitUntilReady(60_000)
    return yield* status
  })

  const down = stopDaemon(layout.pidFile, 20_000)

  return { up, down, status, logFile } as const
}
