import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { ClickHouseTarget } from "@xpscore/config"
import { Redacted } from "effect"
import { afterAll, inject, onTestFinished } from "vitest"
import "./providedContext.ts"

/** The test infrastructure the global setup chose. */
export const testInfra = () => inject("testInfra")

export const testKafkaBrokers = (): Array<string> => testInfra().kafkaBrokers.split(",")

/**
 * A short random suffix that keeps the topics, groups and databases of
 * concurrently running test files apart (isolation, not model input).
 */
export const uniqueSuffix = () => Math.random().toString(36).slice(2, 10)

/** The ClickHouse server of the test infrastructure, as the default (schema-owning) user. */
export const serverTarget = (database: string): ClickHouseTarget => ({
  mode: "server",
  url: testInfra().clickhouseUrl,
  username: "default",
  password: Redacted.make(""),
  database
})

/** The server again, as the read-only BI user. */
export const biServerTarget = (database: string): ClickHouseTarget => ({
  mode: "server",
  url: testInfra().clickhouseUrl,
  username: testInfra().clickhouseBiUser,
  password: Redacted.make(testInfra().clickhouseBiPassword),
  database
})

/**
 * A temporary folder removed after the test that asked for it or, when asked
 * for while tests are being collected, after its suite: test runs leave
 * nothing behind in /tmp. (vitest ends its workers with a signal, so an exit
 * hook would not run.)
 */
export const temporaryFolder = (prefix: string): string => {
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), `xpscore-${prefix}-`))
  const remove = () => fs.rmSync(folder, { recursive: true, force: true })
  try {
    onTestFinished(remove)
  } catch {
    // not inside a test: the enclosing suite (or file) owns the folder
    afterAll(remove)
  }
  return folder
}

/** Embedded chDB in a fresh temporary folder (one engine per process: one per test file). */
export const embeddedTarget = (database: string): ClickHouseTarget => ({
  mode: "embedded",
  path: temporaryFolder("chdb"),
  database
})

/** Both ClickHouse modes, for suites that must hold on each. */
export const bothClickHouseModes = (database: string) =>
  [
    ["server", () => serverTarget(database)],
    ["embedded", () => embeddedTarget(database)]
  ] as const
