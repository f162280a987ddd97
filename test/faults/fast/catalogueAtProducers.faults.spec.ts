import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { EventRejected } from "@xpscore/events"
import { createInteractionProducer, ensureTopics, makeKafka, topicNames, topicSpecs } from "@xpscore/kafka"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { readAll } from "../../e2e/scorerProcess.ts"
import { temporaryFolder, testKafkaBrokers, uniqueSuffix } from "../../harness/index.ts"
import { badInputCatalogue, hostileCustomerIds } from "../harness/badInputCatalogue.ts"

/*
 * The bad-input catalogue at the other end of the pipe: what a producer gets
 * when it tries to send each kind. The poison storm (poisonStorm.faults.spec.ts)
 * proves that the scorer dead-letters whatever reaches the topic anyway; here
 * the producer SDK and `xpscore produce` must refuse the same records before
 * anything is sent, with an error naming the field and the rule, and send the
 * hostile but valid ids unchanged.
 */

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url))

const expressible = badInputCatalogue.filter((entry) => entry.producer.kind !== "not-expressible")

describe("the bad-input catalogue at the producers", () => {
  it("the SDK refuses every invalid kind with its field and rule, sends nothing of it, and sends the hostile ids unchanged", async () => {
    const kafka = makeKafka({ clientId: "faults-catalogue", brokers: testKafkaBrokers() })
    const topics = topicNames(`fc${uniqueSuffix()}.`)
    await Effect.runPromise(ensureTopics(kafka, topicSpecs({ names: topics, partitions: 2, replicationFactor: 1 })))
    const producer = await createInteractionProducer({
      brokers: testKafkaBrokers(),
      clientId: "faults-catalogue",
      topic: topics.interactions
    })
    const outcomes: Array<{ name: string; outcome: unknown }> = []
    const expected: Array<{ name: string; outcome: unknown }> = []
    const accepted: Array<{ key: string; value: Buffer }> = []
    try {
      for (const [i, entry] of expressible.entries()) {
        const { value } = entry.make(`customer-${i}`, i)
        expected.push({ name: entry.name, outcome: entry.producer })
        const validation = producer.validate(value)
        try {
          await producer.send(value)
          outcomes.push({ name: entry.name, outcome: { kind: "accepted" } })
          if (!validation.ok) throw new Error(`${entry.name}: validate refused what send accepted`)
          accepted.push({ key: validation.event.subject, value: Buffer.from(value) })
        } catch (error) {
          if (!(error instanceof EventRejected)) throw error
          outcomes.push({ name: entry.name, outcome: { kind: "refused", path: error.path, rule: error.rule } })
          // the message a developer sees names the field and the rule, then says what was expected
          expect(error.message.startsWith(`${error.path}: ${error.rule}: `)).toBe(true)
          expect(error.detail.length).toBeGreaterThan(10)
          expect(validation).toMatchObject({ ok: false, error: { path: error.path, rule: error.rule } })
        }
      }
    } finally {
      await producer.close()
    }
    expect(outcomes).toEqual(expected)

    // only the accepted records reached the topic: keyed by their customer id, their bytes unchanged
    const onTopic = await readAll(kafka, topics.interactions)
    expect(
      onTopic
        .map((message) => ({ key: message.key?.toString("utf8"), value: message.value }))
        .sort((a, b) => a.value!.compare(b.value!))
    ).toEqual(accepted.sort((a, b) => a.value.compare(b.value)))
    expect(accepted.some((record) => (hostileCustomerIds as ReadonlyArray<string>).includes(record.key))).toBe(true)
  })

  it("xpscore produce reports every invalid kind by line with its field and rule, and exits non-zero", () => {
    const lines = expressible.map((entry, i) => ({ entry, value: Buffer.from(entry.make(`customer-${i}`, i).value) }))
    const file = path.join(temporaryFolder("faults-catalogue"), "catalogue.ndjson")
    fs.writeFileSync(file, Buffer.concat(lines.flatMap(({ value }) => [value, Buffer.from("\n")])))
    const result = spawnSync("./xpscore", ["produce", "--dry-run", "--json", file], {
      cwd: repoRoot,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024
    })
    expect(result.status, result.stderr).not.toBe(0)
    const summary = JSON.parse(result.stdout) as {
      readonly valid: number
      readonly invalid: number
      readonly invalidLines: ReadonlyArray<{ line: number; path: string; rule: string; detail: string }>
    }
    const refused = lines.flatMap(({ entry }, i) =>
      entry.producer.kind === "refused" ? [{ line: i + 1, path: entry.producer.path, rule: entry.producer.rule }] : []
    )
    expect(summary.invalidLines.map(({ line, path, rule }) => ({ line, path, rule }))).toEqual(refused)
    expect(summary.invalidLines.every(({ detail }) => detail.length > 10)).toBe(true)
    expect(summary.valid).toBe(lines.length - refused.length)
    expect(result.stderr).toContain(`${refused.length} of ${lines.length} events are invalid`)
  })
})
