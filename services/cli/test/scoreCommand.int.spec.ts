import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { currentRegistry, decodeEventOrThrow } from "@xpscore/events"
import { invalidSamples, validSamples } from "@xpscore/events/testing"
import { repoRoot } from "@xpscore/infra"
import {
  apply,
  type CustomerState,
  defaultParams,
  emptyState,
  fromInteraction,
  latestEventTime,
  modelVersionId,
  scoreAt
} from "@xpscore/scoring"
import { beforeAll, describe, expect, it } from "vitest"
import { temporaryFolder } from "../../../test/harness/index.ts"
import { xpscore } from "./cliProcess.ts"

/*
 * `xpscore score` (issue 4, acceptance): the real command on generated NDJSON
 * CloudEvents. 100 000 events across 1 000 customers, all within 23 hours,
 * so any shuffle of the lines keeps every event inside the allowed lateness
 * (24 h) of the others: the output must not change by a byte.
 */

/** mulberry32: a seeded generator, so the file is the same on every run. */
const seeded = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const START = Date.UTC(2024, 4, 1, 0, 0, 0)
const WINDOW = 23 * 3_600_000
const round2 = (x: number) => Math.round(x * 100) / 100

/** `events` CloudEvents for `customers` customers (ids from 0), event-time order within each customer. */
const generate = (customers: number, perCustomer: number, seed: number): Array<string> => {
  const random = seeded(seed)
  const lines: Array<{ t: number; line: string }> = []
  for (let c = 0; c < customers; c++) {
    const subject = `customer-${String(c).padStart(4, "0")}`
    let openIssue: string | undefined
    for (let k = 0; k < perCustomer; k++) {
      const t = START + Math.floor(random() * WINDOW)
      const envelope = {
        specversion: "1.0",
        id: `${subject}-evt-${k}`,
        subject,
        time: new Date(t).toISOString()
      }
      const pick = random()
      let event: object
      if (pick < 0.35) {
        event = { ...envelope, source: "app", type: "xp.touchpoint.v1", data: { quality: round2(random() * 2 - 1) } }
      } else if (pick < 0.65) {
        event = {
          ...envelope,
          source: "checkout",
          type: "xp.expectation.v1",
          data: {
            dimension: random() < 0.5 ? "delivery-speed" : "price",
            expected: round2(random()),
            actual: round2(random()),
            negotiated: random() < 0.3
          }
        }
      } else if (pick < 0.8) {
        event = {
          ...envelope,
          source: "surveys",
          type: "xp.survey.v1",
          data: { scale: "nps", value: Math.floor(random() * 11) }
        }
      } else if (openIssue === undefined) {
        openIssue = `${subject}-issue-${k}`
        event = {
          ...envelope,
          source: "support",
          type: "xp.issue.opened.v1",
          data: { issueId: openIssue, severity: round2(0.05 + random() * 0.95) }
        }
      } else {
        event = {
          ...envelope,
          source: "support",
          type: "xp.issue.resolved.v1",
          data: { issueId: openIssue, quality: round2(random()), withinSla: random() < 0.7 }
        }
        openIssue = undefined
      }
      lines.push({ t, line: JSON.stringify(event) })
    }
  }
  // One stream in event-time order, as producers would send it.
  return lines.sort((a, b) => a.t - b.t).map((l) => l.line)
}

const shuffled = <A>(items: ReadonlyArray<A>, seed: number): Array<A> => {
  const random = seeded(seed)
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[out[i], out[j]] = [out[j]!, out[i]!]
  }
  return out
}

const dir = temporaryFolder("score")
const write = (name: string, lines: ReadonlyArray<string | Uint8Array>) => {
  const file = path.join(dir, name)
  fs.writeFileSync(file, Buffer.concat(lines.map((line) => Buffer.concat([Buffer.from(line), Buffer.from("\n")]))))
  return file
}

interface Line {
  readonly customerId: string
  readonly score: number
  readonly index: number
  readonly terms: { readonly average: number; readonly end: number; readonly peak: number }
  readonly events: number
  readonly late: number
  readonly modelVersion: string
}
const parse = (stdout: string): Array<Line> =>
  stdout
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line) as Line)

describe("xpscore score", () => {
  const lines = generate(1_000, 100, 4)
  let sorted: Awaited<ReturnType<typeof xpscore>>

  beforeAll(async () => {
    sorted = await xpscore(["score", write("events.ndjson", lines)])
  }, 120_000)

  it("given 100 000 events across 1 000 customers, then it prints 1 000 lines sorted by customer id", () => {
    expect(sorted.code, sorted.stderr).toBe(0)
    const output = parse(sorted.stdout)
    expect(output).toHaveLength(1_000)
    const ids = output.map((line) => line.customerId)
    expect(ids).toEqual([...ids].sort())
    expect(output.reduce((sum, line) => sum + line.events, 0)).toBe(100_000)
    for (const line of output) {
      expect(Object.keys(line)).toEqual(["customerId", "score", "index", "terms", "events", "late", "modelVersion"])
      expect(line.score).toBeGreaterThan(0)
      expect(line.score).toBeLessThan(100)
      expect(line.late).toBe(0)
      expect(line.modelVersion).toBe(modelVersionId(defaultParams))
    }
  })

  it("given the same lines shuffled (all inside the allowed lateness of each other), then the output is identical", async () => {
    for (const seed of [1, 2]) {
      const result = await xpscore(["score", write(`shuffled-${seed}.ndjson`, shuffled(lines, seed))])
      expect(result.code, result.stderr).toBe(0)
      expect(result.stdout).toBe(sorted.stdout)
    }
  }, 240_000)

  it("given events, then each customer's score is the library's score at its latest event time", () => {
    const states = new Map<string, CustomerState>()
    for (const line of lines) {
      const event = decodeEventOrThrow(currentRegistry, line)
      const state = states.get(event.subject) ?? emptyState()
      states.set(event.subject, state)
      apply(state, fromInteraction(event), defaultParams)
    }
    for (const line of parse(sorted.stdout)) {
      const state = states.get(line.customerId)!
      expect(line.score).toBe(scoreAt(state, latestEventTime(state)!, defaultParams))
    }
  })

  it("given --at after every event, then every customer is scored at that time (the library's score then)", async () => {
    const small = lines.slice(0, 2_000)
    const at = "2024-06-01T02:00:00+02:00"
    const result = await xpscore(["score", "--at", at, write("small.ndjson", small)])
    expect(result.code, result.stderr).toBe(0)
    const states = new Map<string, CustomerState>()
    for (const line of small) {
      const event = decodeEventOrThrow(currentRegistry, line)
      const state = states.get(event.subject) ?? emptyState()
      states.set(event.subject, state)
      apply(state, fromInteraction(event), defaultParams)
    }
    const output = parse(result.stdout)
    expect(output).toHaveLength(states.size)
    for (const line of output) {
      expect(line.score).toBe(scoreAt(states.get(line.customerId)!, Date.parse("2024-06-01T00:00:00Z"), defaultParams))
    }
  })

  it("given --at before a customer's latest event, then it fails naming the customer", async () => {
    const file = write("one.ndjson", [JSON.stringify({ ...validSamples.touchpoint, subject: "ada" })])
    const result = await xpscore(["score", "--at", "2024-05-01T11:00:00Z", file])
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain('customer "ada"')
    expect(result.stdout).toBe("")
  })

  it("given invalid lines, then it reports each line number and reason on stderr and exits non-zero, unless --skip-invalid", async () => {
    const samples = invalidSamples.slice(0, 5)
    const file = write("mixed.ndjson", [
      JSON.stringify(validSamples.touchpoint),
      ...samples.map((sample) => sample.raw),
      JSON.stringify({ ...validSamples.survey, id: "evt-2" })
    ])
    const strict = await xpscore(["score", file])
    expect(strict.code).not.toBe(0)
    expect(strict.stdout).toBe("")
    const reported = strict.stderr.split("\n").filter((line) => line.startsWith("line "))
    expect(reported.map((line) => line.split(": ").slice(0, 3).join(": "))).toEqual(
      samples.map((sample, i) => `line ${i + 2}: ${sample.path}: ${sample.rule}`)
    )
    const lenient = await xpscore(["score", "--skip-invalid", file])
    expect(lenient.code, lenient.stderr).toBe(0)
    expect(parse(lenient.stdout)).toEqual([expect.objectContaining({ customerId: "customer-1", events: 2 })])
  })

  it("given - (or no file), then it reads standard input", async () => {
    const file = write("stdin.ndjson", lines.slice(0, 500))
    const fromFile = await xpscore(["score", file])
    for (const args of [["score", "-"], ["score"]]) {
      const fromStdin = spawnSync(path.join(repoRoot, "xpscore"), args, {
        cwd: repoRoot,
        input: fs.readFileSync(file),
        encoding: "utf8",
        timeout: 120_000
      })
      expect(fromStdin.status, fromStdin.stderr).toBe(0)
      expect(fromStdin.stdout).toBe(fromFile.stdout)
    }
  })
})
