import { deadLetterHeaderNames, EventDecoder } from "@xpscore/events"
import { arbitraryJourney, arbitraryTouchpointV2Wire, registryWithTouchpointV2 } from "@xpscore/events/testing"
import { headersAsText, redriveHeaderNames } from "@xpscore/kafka"
import { runScorer } from "@xpscore/scorer"
import { HOUR_MS } from "@xpscore/scoring"
import { Effect, Fiber, Layer, References } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { settingsLayer } from "../src/inProcessPipeline.ts"
import { xpscore } from "./cliProcess.ts"
import {
  endOffsets,
  freshDeployment,
  readScores,
  readTopic,
  startService,
  suiteKafka,
  waitCaughtUp
} from "./pipelineFixture.ts"

const { kafka, admin } = suiteKafka("dead-letters-test")

describe("xpscore dead-letters", () => {
  it("lists and shows dead letters; a dry-run redrive publishes nothing; redriven v2 touchpoints are scored by a scorer that reads v2", async () => {
    const deployment = await freshDeployment(kafka, "dlq")
    const { topics } = deployment
    const [journey] = fc.sample(
      arbitraryJourney({ customers: { min: 4, max: 4 }, eventsPerCustomer: { min: 2, max: 4 }, latenessMs: HOUR_MS }),
      { seed: 21, numRuns: 1 }
    )
    const v2 = fc.sample(arbitraryTouchpointV2Wire, { seed: 21, numRuns: 5 })
    const producer = kafka.producer()
    await producer.connect()
    await producer.send({
      topic: topics.interactions,
      messages: [...journey!.events, ...v2].map((event) => ({
        key: event.subject,
        value: JSON.stringify(event),
        headers: { "content-type": "application/cloudevents+json", "trace-id": `t-${event.id}` }
      }))
    })
    await producer.disconnect()

    // a scorer of the current catalogue dead-letters the v2 touchpoints
    const scorer = startService("scorer", deployment)
    await waitCaughtUp(admin, deployment.scorerGroup, [topics.interactions], scorer)
    expect(await scorer.stop()).toBe(0)

    const listed = await xpscore(["dead-letters", "list", "--rule", "unknown-version", "--json"], deployment.env)
    expect(listed.code, listed.stderr).toBe(0)
    const list = JSON.parse(listed.stdout) as {
      total: number
      matching: number
      deadLetters: Array<{ offset: string; reason: string; original: { id: string; type: string } }>
    }
    expect(list.total).toBe(5)
    expect(list.matching).toBe(5)
    expect(list.deadLetters.map((d) => d.original.id).sort()).toEqual(v2.map((e) => e.id).sort())
    expect(list.deadLetters.every((d) => d.reason.includes("xp.touchpoint.v2"))).toBe(true)
    const text = await xpscore(["dead-letters", "list"], deployment.env)
    expect(text.stdout).toContain("5 dead letters")
    expect(text.stdout).toMatch(/5\s+unknown-version/)
    const shown = await xpscore(["dead-letters", "show", list.deadLetters[0]!.offset], deployment.env)
    expect(shown.code, shown.stderr).toBe(0)
    expect(shown.stdout).toContain(`${deadLetterHeaderNames.rule}: unknown-version`)
    expect(shown.stdout).toContain("trace-id: t-")
    expect(shown.stdout).toContain('"type":"xp.touchpoint.v2"')

    // dry runs publish nothing
    const interactionsBefore = await endOffsets(admin, [topics.interactions])
    for (const args of [["--rule", "unknown-version"], ["--rule", "unknown-version", "--dry-run"], ["--all"]]) {
      const dry = await xpscore(["dead-letters", "redrive", ...args], deployment.env)
      expect(dry.code, dry.stderr).toBe(0)
      expect(dry.stdout).toContain("dry run: nothing published")
    }
    expect(await endOffsets(admin, [topics.interactions])).toEqual(interactionsBefore)
    const unselected = await xpscore(["dead-letters", "redrive", "--execute"], deployment.env)
    expect(unselected.code).not.toBe(0)
    expect(unselected.stderr).toContain("--all")

    // a scorer whose registry reads touchpoint v2, in this process
    const env = Object.fromEntries(Object.entries(deployment.env).filter(([name]) => name !== "CLICKHOUSE_URL"))
    const fiber = Effect.runFork(
      Effect.scoped(runScorer).pipe(
        Effect.provide(
          Layer.mergeAll(
            EventDecoder.layerFor(registryWithTouchpointV2),
            settingsLayer(env),
            Layer.succeed(References.MinimumLogLevel, "Error")
          )
        )
      )
    )
    try {
      const redriven = await xpscore(
        ["dead-letters", "redrive", "--reason", "xp.touchpoint.v2", "--execute"],
        deployment.env
      )
      expect(redriven.code, redriven.stderr).toBe(0)
      expect(redriven.stdout).toContain("re-drove 5 records")

      // the originals again, byte for byte, with their own headers and the redrive headers
      const interactions = await readTopic(kafka, topics.interactions)
      const byId = new Map<string, Array<(typeof interactions)[number]>>()
      for (const message of interactions) {
        const id = (JSON.parse(message.value!.toString("utf8")) as { id: string }).id
        byId.set(id, [...(byId.get(id) ?? []), message])
      }
      for (const event of v2) {
        const [original, again] = byId.get(event.id)!
        expect(again).toBeDefined()
        expect(again!.key).toEqual(original!.key)
        expect(again!.value).toEqual(original!.value)
        expect(again!.partition).toBe(original!.partition)
        const headers = headersAsText(again!.headers)
        expect(headers["content-type"]).toBe("application/cloudevents+json")
        expect(headers["trace-id"]).toBe(`t-${event.id}`)
        expect(headers[redriveHeaderNames.of]).toMatch(
          new RegExp(`^${topics.deadLetters.replaceAll(".", "\\.")}:0:\\d+$`)
        )
        expect(headers[redriveHeaderNames.count]).toBe("1")
        expect(Object.keys(headers).some((name) => name.startsWith("xpscore-dlq-"))).toBe(false)
      }

      await waitCaughtUp(admin, deployment.scorerGroup, [topics.interactions])
      const scores = await readScores(kafka, topics.scores)
      for (const event of v2) {
        expect(scores.filter((r) => r.eventId === event.id && r.eventSource === event.source)).toHaveLength(1)
      }
      const letters = await xpscore(["dead-letters", "list", "--json"], deployment.env)
      expect((JSON.parse(letters.stdout) as { total: number }).total).toBe(5)
    } finally {
      await Effect.runPromise(Fiber.interrupt(fiber))
    }
  })
})
