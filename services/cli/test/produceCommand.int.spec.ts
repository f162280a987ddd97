import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { invalidSamples, validSamples } from "@xpscore/events/testing"
import { repoRoot } from "@xpscore/infra"
import { ensureTopics, makeKafka, topicNames, topicSpecs } from "@xpscore/kafka"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { temporaryFolder, testKafkaBrokers, uniqueSuffix } from "../../../test/harness/index.ts"

const xpscore = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => {
  const result = spawnSync(path.join(repoRoot, "xpscore"), args, {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: "utf8",
    timeout: 120_000
  })
  return { code: result.status, stdout: result.stdout, stderr: result.stderr }
}

interface Fixture {
  readonly file: string
  readonly validLines: ReadonlyArray<number>
  readonly invalid: ReadonlyArray<{ readonly line: number; readonly path: string; readonly rule: string }>
}

/** Valid events, every invalid sample, a blank line and a CRLF line, mixed in a file. */
const mixedFile = (): Fixture => {
  const parts: Array<Uint8Array> = []
  const validLines: Array<number> = []
  const invalid: Array<{ line: number; path: string; rule: string }> = []
  const encoder = new TextEncoder()
  const push = (raw: string | Uint8Array) =>
    parts.push(typeof raw === "string" ? encoder.encode(`${raw}\n`) : new Uint8Array([...raw, 0x0a]))
  const valid = Object.values(validSamples)
  invalidSamples.forEach((sample, i) => {
    const event = valid[i % valid.length]!
    push(JSON.stringify({ ...event, id: `valid-${i}` }))
    validLines.push(parts.length)
    push(sample.raw)
    invalid.push({ line: parts.length, path: sample.path, rule: sample.rule })
    if (i === 3) push("   ")
  })
  push(`${JSON.stringify({ ...validSamples.touchpoint, id: "with-crlf" })}\r`)
  validLines.push(parts.length)
  const file = path.join(temporaryFolder("produce"), "events.ndjson")
  fs.writeFileSync(file, Buffer.concat(parts))
  return { file, validLines, invalid }
}

describe("xpscore produce", () => {
  it("--dry-run reports exactly the invalid lines with field and rule, and exits non-zero", () => {
    const fixture = mixedFile()
    const text = xpscore(["produce", "--dry-run", fixture.file])
    expect(text.code).not.toBe(0)
    const reported = text.stdout.split("\n").filter((line) => line.startsWith("line "))
    expect(reported.map((line) => line.split(": ").slice(0, 3).join(": "))).toEqual(
      fixture.invalid.map(({ line, path, rule }) => `line ${line}: ${path}: ${rule}`)
    )
    const events = fixture.validLines.length + fixture.invalid.length
    expect(text.stdout).toContain(
      `${events} events on ${events + 1} lines: ${fixture.validLines.length} valid, ${fixture.invalid.length} invalid; dry run: nothing sent`
    )
    expect(text.stderr).toContain(
      `xpscore: ${fixture.invalid.length} of ${events} events are invalid (dry run: nothing sent)`
    )

    const json = xpscore(["produce", "--dry-run", "--json", fixture.file])
    expect(json.code).not.toBe(0)
    const summary = JSON.parse(json.stdout)
    expect(
      summary.invalidLines.map(({ line, path, rule }: Fixture["invalid"][number]) => ({ line, path, rule }))
    ).toEqual(fixture.invalid)
    expect(summary).toMatchObject({
      valid: fixture.validLines.length,
      invalid: fixture.invalid.length,
      sent: 0,
      dryRun: true
    })
  })

  it("reads standard input and exits 0 when every line is valid", () => {
    const input = Object.values(validSamples)
      .map((event) => JSON.stringify(event))
      .join("\n")
    const result = spawnSync(path.join(repoRoot, "xpscore"), ["produce", "--dry-run", "-"], {
      cwd: repoRoot,
      input,
      encoding: "utf8"
    })
    expect(result.status).toBe(0)
    expect(result.stdout).toContain("5 events on 5 lines: 5 valid, 0 invalid; dry run: nothing sent")
  })

  it("sends the valid lines to the interactions topic of XPSCORE_TOPIC_PREFIX and nothing else", async () => {
    const prefix = `test-${uniqueSuffix()}.`
    const kafka = makeKafka({ clientId: "produce-command-test", brokers: testKafkaBrokers() })
    await Effect.runPromise(
      ensureTopics(kafka, topicSpecs({ names: topicNames(prefix), partitions: 2, replicationFactor: 1 }))
    )
    const fixture = mixedFile()
    const env = { KAFKA_BROKERS: testKafkaBrokers().join(","), XPSCORE_TOPIC_PREFIX: prefix }
    const result = xpscore(["produce", "--json", fixture.file], env)
    expect(result.code).not.toBe(0)
    expect(JSON.parse(result.stdout)).toMatchObject({
      sent: fixture.validLines.length,
      invalid: fixture.invalid.length,
      topic: `${prefix}interactions`
    })
    const admin = kafka.admin()
    await admin.connect()
    const offsets = await admin.fetchTopicOffsets(`${prefix}interactions`)
    await admin.disconnect()
    expect(offsets.reduce((sum, partition) => sum + Number(partition.high), 0)).toBe(fixture.validLines.length)
  })

  it("says how to create the topics when they do not exist", () => {
    const fixture = mixedFile()
    const env = { KAFKA_BROKERS: testKafkaBrokers().join(","), XPSCORE_TOPIC_PREFIX: `absent-${uniqueSuffix()}.` }
    const result = xpscore(["produce", fixture.file], env)
    expect(result.code).not.toBe(0)
    expect(result.stderr).toContain("does not exist")
    expect(result.stderr).toContain("xpscore topics create")
  })
})
