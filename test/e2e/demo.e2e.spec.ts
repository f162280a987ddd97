import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { temporaryFolder, testKafkaBrokers, uniqueSuffix } from "../harness/index.ts"
import { ensureChromium, launchChromium } from "./headlessChromium.ts"

/**
 * The newcomer's path: `./xpscore demo` (smaller, on a namespace of its own
 * so concurrent suites never collide), its report in a browser, and
 * `./xpscore inspect` on one of its customers.
 */
const repoRoot = fileURLToPath(new URL("../../", import.meta.url))
const artifacts = path.join(repoRoot, "test-artifacts")

const run = (args: ReadonlyArray<string>, env: Record<string, string>, timeoutMs = 240_000) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve, reject) => {
    const base: Record<string, string | undefined> = { ...process.env, ...env }
    // the demo's default: embedded ClickHouse
    delete base.CLICKHOUSE_URL
    const child = spawn(path.join(repoRoot, "xpscore"), [...args], {
      cwd: repoRoot,
      env: base,
      stdio: ["ignore", "pipe", "pipe"]
    })
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk))
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk))
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") })
    })
  })

const suffix = uniqueSuffix()
const env = {
  KAFKA_BROKERS: testKafkaBrokers().join(","),
  XPSCORE_TOPIC_PREFIX: `demo-${suffix}.`,
  XPSCORE_CLICKHOUSE_DATABASE: `demo_${suffix}`,
  XPSCORE_HOME: temporaryFolder("demo-home")
}
const demoFlags = ["--customers", "120", "--days", "30"]

interface ReportJson {
  produced: { records: number; events: number; invalid: number }
  scored: { scoreRecords: number; customers: number }
  deadLetters: { total: number }
  trajectories: Array<{ customerId: string }>
  reportPath: string
}

// installs Chromium (apt) on a fresh machine before the minutes of the demo run, not after
beforeAll(() => {
  ensureChromium()
})

afterAll(async () => {
  // the demo's topics on the shared broker: delete them with the namespace's own command path
  const { Kafka, logLevel } = await import("kafkajs")
  const admin = new Kafka({ brokers: testKafkaBrokers(), logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(env.XPSCORE_TOPIC_PREFIX))
  if (topics.length > 0) await admin.deleteTopics({ topics })
  await admin.disconnect()
})

describe("xpscore demo", () => {
  it("runs the whole pipeline and prints the report, writes HTML that renders its charts, and runs again on a clean namespace", async () => {
    const first = await run(["demo", ...demoFlags], env)
    expect(first.code, first.stderr).toBe(0)
    const text = first.stdout
    for (const heading of ["events", "score distribution now", "biggest movers", "next: SQL a BI user can run"]) {
      expect(text).toContain(heading)
    }
    expect(text).toMatch(/produced +[\d,]+ records: [\d,]+ events/)
    expect(text).toMatch(/scored +[\d,]+ score records for [\d,]+ customers/)
    expect(text).toMatch(/dead-lettered +[\d,]+ records/)
    // the histogram's ten buckets, three charts, the SQL, how to connect, how to stop
    expect(text.match(/^ +\d+–\d+ /gm)).toHaveLength(10)
    expect(text.match(/└─+/g)).toHaveLength(3)
    expect(text).toContain(`FROM ${env.XPSCORE_CLICKHOUSE_DATABASE}.v_current_scores`)
    expect(text).toContain("user bi")
    // how to stop what it leaves running: the local broker (the harness's usual one), or a broker of the caller's
    expect(text).toMatch(
      /stop with \.\/xpscore infra down|Kafka \(KAFKA_BROKERS\) and ClickHouse were left as they are/
    )
    const reportPath = /HTML report: (.+)/.exec(text)![1]!.trim()
    expect(reportPath).toBe(path.join(env.XPSCORE_HOME, "demo", "report.html"))

    const browser = await launchChromium()
    try {
      const page = await browser.newPage()
      await page.goto(`file://${reportPath}`)
      expect(await page.locator("h1").textContent()).toBe("xpscore demo")
      expect(await page.locator("svg.histogram rect.bar").count()).toBe(10)
      const lines = page.locator("section.trajectory svg.line-chart path.line")
      expect(await lines.count()).toBe(3)
      for (let i = 0; i < 3; i++) expect((await lines.nth(i).getAttribute("d"))!.split("L").length).toBeGreaterThan(2)
      const box = await page.locator("svg.histogram").boundingBox()
      expect(box!.width).toBeGreaterThan(300)
      fs.mkdirSync(artifacts, { recursive: true })
      await page.screenshot({ path: path.join(artifacts, "demo-report.png"), fullPage: true })
    } finally {
      await browser.close()
    }

    // again, on the same namespace: cleared and rebuilt, the same simulation gives the same figures
    const again = await run(["demo", ...demoFlags, "--json"], env)
    expect(again.code, again.stderr).toBe(0)
    const report = JSON.parse(again.stdout) as ReportJson
    expect(text).toContain(`produced       ${report.produced.records.toLocaleString("en-US")} records`)
    expect(text).toContain(`scored         ${report.scored.scoreRecords.toLocaleString("en-US")} score records`)
    expect(report.scored.scoreRecords).toBe(report.produced.records - report.produced.invalid)
    expect(report.deadLetters.total).toBe(report.produced.invalid)
    fs.writeFileSync(path.join(env.XPSCORE_HOME, "demo", "report.json"), again.stdout)
  })

  it("inspect on a demo customer prints its events, a chart and an explanation whose terms add up to its index", async () => {
    const report = JSON.parse(fs.readFileSync(path.join(env.XPSCORE_HOME, "demo", "report.json"), "utf8")) as ReportJson
    const customer = report.trajectories[0]!.customerId
    const textRun = await run(["inspect", customer], env)
    expect(textRun.code, textRun.stderr).toBe(0)
    expect(textRun.stdout).toContain(`${customer}: `)
    expect(textRun.stdout).toMatch(/seq +event time \(UTC\) +source +type/)
    expect(textRun.stdout.match(/└─+/g)).toHaveLength(1)
    expect(textRun.stdout).toMatch(/index X = .* = [+−-]?\d\.\d{3}; {2}score = 50 \+ 50·tanh/)
    expect(textRun.stdout).toContain("events that weigh most now")

    const jsonRun = await run(["inspect", customer, "--json"], env)
    expect(jsonRun.code, jsonRun.stderr).toBe(0)
    const inspection = JSON.parse(jsonRun.stdout) as {
      events: Array<{ seq: number }>
      current: { score: number }
      explanation: {
        score: number
        index: number
        terms: Record<"average" | "end" | "peak", { value: number; weight: number }>
        contributors: Array<{ contribution: number }>
        rest: number
      }
    }
    expect(inspection.events.map((e) => e.seq)).toEqual(inspection.events.map((_, i) => i + 1))
    const { terms, index } = inspection.explanation
    expect(
      terms.average.value * terms.average.weight +
        terms.end.value * terms.end.weight +
        terms.peak.value * terms.peak.weight
    ).toBeCloseTo(index, 12)
    const shares = inspection.explanation.contributors.reduce((sum, c) => sum + c.contribution, 0)
    expect(shares + inspection.explanation.rest).toBeCloseTo(index, 12)
    // the state in the changelog and the projection agree on the score now
    expect(Math.abs(inspection.explanation.score - inspection.current.score)).toBeLessThan(0.01)

    const unknown = await run(["inspect", "nobody-at-all"], env)
    expect(unknown.code).not.toBe(0)
    expect(unknown.stderr).toContain('no score records for customer "nobody-at-all"')
  })
})
