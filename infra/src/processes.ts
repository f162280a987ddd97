import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { Effect } from "effect"
import { CommandFailed } from "./errors.ts"

/**
 * A background service this project started. The pid file holds the pid and
 * a marker that must appear in the process's command line, so that a pid
 * recycled by an unrelated process is never mistaken for ours (and never
 * signalled).
 */
export interface PidRecord {
  readonly pid: number
  readonly marker: string
  readonly startedAt: string
}

export const readPidRecord = (pidFile: string): PidRecord | undefined => {
  try {
    return JSON.parse(fs.readFileSync(pidFile, "utf8")) as PidRecord
  } catch {
    return undefined
  }
}

const commandLineOf = (pid: number): string | undefined => {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ")
  } catch {
    return undefined
  }
}

const isZombie = (pid: number): boolean => {
  try {
    return /^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, "utf8"))
  } catch {
    return false
  }
}

/** The pid of the service recorded in `pidFile` when that process is alive and still ours. */
export const runningPid = (pidFile: string): number | undefined => {
  const record = readPidRecord(pidFile)
  if (record === undefined) return undefined
  const cmdline = commandLineOf(record.pid)
  if (cmdline === undefined || !cmdline.includes(record.marker) || isZombie(record.pid)) return undefined
  return record.pid
}

/** Starts a daemon that outlives this process, its output appended to `logFile`. */
export const spawnDaemon = (options: {
  readonly command: string
  readonly args: ReadonlyArray<string>
  readonly logFile: string
  readonly pidFile: string
  readonly marker: string
  readonly cwd?: string
  readonly env?: NodeJS.ProcessEnv
}) =>
  Effect.sync(() => {
    const out = fs.openSync(options.logFile, "a")
    const child = spawn(options.command, options.args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ["ignore", out, out]
    })
    child.unref()
    fs.closeSync(out)
    const record: PidRecord = { pid: child.pid ?? -1, marker: options.marker, startedAt: new Date().toISOString() }
    fs.writeFileSync(options.pidFile, `${JSON.stringify(record)}\n`)
    return record.pid
  })

const alive = (pid: number) => commandLineOf(pid) !== undefined && !isZombie(pid)

/** Stops the service of `pidFile` (SIGTERM, then SIGKILL after `graceMs`); true when one was running. */
export const stopDaemon = (pidFile: string, graceMs: number) =>
  Effect.gen(function* () {
    const pid = runningPid(pidFile)
    if (pid === undefined) {
      fs.rmSync(pidFile, { force: true })
      return false
    }
    process.kill(pid, "SIGTERM")
    const deadline = Date.now() + graceMs
    while (alive(pid) && Date.now() < deadline) yield* Effect.sleep("100 millis")
    if (alive(pid)) {
      process.kill(pid, "SIGKILL")
      while (alive(pid)) yield* Effect.sleep("50 millis")
    }
    fs.rmSync(pidFile, { force: true })
    return true
  })

export const tailOf = (file: string, lines = 30): string => {
  try {
    const text = fs.readFileSync(file, "utf8")
    return text
      .split("\n")
      .slice(-lines - 1)
      .join("\n")
  } catch {
    return "(no log yet)"
  }
}

/** Runs a command to completion, capturing its output; fails with the tail of the output on a non-zero exit. */
export const runCommand = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv } = {}
) =>
  Effect.callback<string, CommandFailed>((resume) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env })
    const chunks: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => chunks.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => chunks.push(chunk))
    const commandText = [command, ...args].join(" ")
    child.on("error", (error) =>
      resume(Effect.fail(new CommandFailed({ command: commandText, exitCode: -1, outputTail: error.message })))
    )
    child.on("close", (code) => {
      const output = Buffer.concat(chunks).toString("utf8")
      if (code === 0) resume(Effect.succeed(output))
      else {
        const outputTail = output.split("\n").slice(-40).join("\n")
        resume(Effect.fail(new CommandFailed({ command: commandText, exitCode: code ?? -1, outputTail })))
      }
    })
  })

/** True when `command` resolves on PATH. */
export const onPath = (command: string) =>
  runCommand("sh", ["-c", `command -v ${command}`]).pipe(
    Effect.map(() => true),
    Effect.orElseSucceed(() => false)
  )
