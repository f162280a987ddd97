import * as fs from "node:fs"
import * as path from "node:path"
import { ensureTopics, makeKafka, topicNames, topicSpecs } from "@xpscore/kafka"
import { recordBytes, simulationRecords, withSimulationDefaults } from "@xpscore/simulator"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { temporaryFolder, testKafkaBrokers, uniqueSuffix } from "../../../test/harness/index.ts"
import { xpscore } from "./cliProcess.ts"

const ndjsonOf = (options: Parameters<typeof simulationRecords>[0]) =>
  Buffer.concat([...simulationRecords(options)].flatMap((record) => [recordBytes(record), Buffer.from("\n")]))

const flags = ["--customers", "30", "--days", "20", "--seed", "5", "--start", "2024-06-01"]
const libraryOptions = { customers: 30, days: 20, seed: 5, startMs: Date.UTC(2024, 5, 1) }

describe("xpscore simulate", () => {
  it("writes exactly the library's NDJSON to a file, and the summary as text or JSON", async () => {
    const dir = temporaryFolder("simulate")
    const file = path.join(dir, "events.ndjson")
    const run = await xpscore(["simulate", ...flags, "--invalid-rate", "0.1", "--out", file])
    expect(run.code).toBe(0)
    expect(
      fs.readFileSync(file).equals(ndjsonOf(withSimulationDefaults({ ...libraryOptions, invalidRate: 0.1 })))
    ).toBe(true)
    expect(run.stdout).toMatch(/^Simulated 30 customers \(.*\) over 20 days, seed 5$/m)
    expect(run.stdout).toMatch(
      /^ {2}late events +\d+ +[\d.]+ % of events: \d+ within the 24 h allowed lateness, \d+ beyond it$/m
    )
    expect(run.stdout).toMatch(/^invalid records by kind$/m)
    expect(run.stdout).toContain(`to ${file} in `)

    const again = await xpscore(["simulate", ...flags, "--invalid-rate", "0.1", "--out", file, "--json"])
    const summary = JSON.parse(again.stdout)
    expect(summary).toMatchObject({ customers: 30, days: 20, seed: 5, start: "2024-06-01T00:00:00.000Z" })
    expect(summary.output).toEqual({ kind: "file", path: file })
    expect(summary.records).toBe(
      ndjsonOf(withSimulationDefaults({ ...libraryOptions, invalidRate: 0.1 }))
        .toString("latin1")
        .split("\n").length - 1
    )
  })

  it("writes NDJSON to standard output with --out -, the summary going to standard error", async () => {
    const run = await xpscore(["simulate", ...flags, "--invalid-rate", "0", "--out", "-", "--json"])
    expect(run.code).toBe(0)
    expect(run.stdout).toBe(ndjsonOf(withSimulationDefaults({ ...libraryOptions, invalidRate: 0 })).toString("utf8"))
    const summary = JSON.parse(run.stderr.trim().split("\n").at(-1)!)
    expect(summary.records).toBe(run.stdout.split("\n").length - 1)
    expect(summary.output).toEqual({ kind: "file", path: "standard output" })
  })

  it("refuses bad flags naming the flag and the rule", async () => {
    const cases: ReadonlyArray<[ReadonlyArray<string>, RegExp]> = [
      [["--duplicate-rate", "1.5"], /--duplicate-rate.*expected a fraction from 0 to 1/],
      [["--customers", "0"], /--customers.*expected an integer from 1 to 10,000,000/],
      [["--start", "2024-02-30"], /--start.*expected an RFC 3339 date or date-time/],
      [
        ["--start", "2099-12-01", "--days", "90"],
        /--start: expected a start such that the whole window .* got 2099-12-01/
      ],
      [["--rate", "0"], /--rate.*expected a number of records per second above 0/],
      [
        ["--rate", "100", "--out", "x.ndjson"],
        /--rate: paces publishing to Kafka and cannot be combined with --out, got 100/
      ]
    ]
    for (const [args, message] of cases) {
      const run = await xpscore(["simulate", ...args])
      expect(run.code, args.join(" ")).not.toBe(0)
      expect(`${run.stdout}\n${run.stderr}`).toMatch(message)
    }
  })

  it("publishes to the interactions topic of the configured prefix at a target rate", async () => {
    const prefix = `simcli${uniqueSuffix()}.`
    const names = topicNames(prefix)
    const kafka = makeKafka({ clientId: "simulate-test", brokers: testKafkaBrokers() })
    await Effect.runPromise(ensureTopics(kafka, topicSpecs({ names, partitions: 3, replicationFactor: 1 })))
    const env = { XPSCORE_TOPIC_PREFIX: prefix, KAFKA_BROKERS: testKafkaBrokers().join(",") }
    const run = await xpscore(["simulate", ...flags, "--rate", "2000", "--json"], env)
    expect(run.code, run.stderr).toBe(0)
    const summary = JSON.parse(run.stdout)
    expect(summary.output).toMatchObject({ kind: "kafka", topic: names.interactions })
    expect(summary.records).toBe([...simulationRecords(withSimulationDefaults(libraryOptions))].length)
    const admin = kafka.admin()
    await admin.connect()
    const offsets = await admin.fetchTopicOffsets(names.interactions)
    await admin.disconnect()
    expect(offsets.reduce((sum, p) => sum + Number(p.high), 0)).toBe(summary.records)

    const missing = await xpscore(["simulate", ...flags], { ...env, XPSCORE_TOPIC_PREFIX: `absent${uniqueSuffix()}.` })
    expect(missing.code).not.toBe(0)
    expect(missing.stderr).toMatch(
      /does not exist .* create it with \.\/xpscore topics create|create them with \.\/xpscore topics create/
    )
  })
})
