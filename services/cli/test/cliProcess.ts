import { spawn } from "node:child_process"
import * as path from "node:path"
import { repoRoot } from "@xpscore/infra"

export interface CliResult {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * Runs `./xpscore <args>` as an operator would, with extra environment
 * variables (a topic prefix of the test's own, say). Asynchronous, so that
 * a test can keep Kafka clients of its own busy meanwhile.
 */
export const xpscore = (args: ReadonlyArray<string>, env: Record<string, string> = {}, timeoutMs = 120_000) =>
  new Promise<CliResult>((resolve, reject) => {
    const child = spawn(path.join(repoRoot, "xpscore"), [...args], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    const stdout: Array<Buffer> = []
    const stderr: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => stdout.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => stderr.push(chunk))
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") })
    })
  })

/** `./xpscore <args>` whose standard output is one JSON document; fails the test with stderr otherwise. */
export const xpscoreJson = async <A>(args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const result = await xpscore(args, env)
  if (result.code !== 0) throw new Error(`xpscore ${args.join(" ")} exited ${result.code}:\n${result.stderr}`)
  return JSON.parse(result.stdout) as A
}
