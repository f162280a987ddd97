import { Effect, Layer, Logger, References } from "effect"
import { describe, expect, it } from "vitest"
import { testKafkaBrokers, uniqueSuffix } from "../../../test/harness/index.ts"
import { makeKafka } from "../src/kafkaClient.ts"

interface Captured {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
}

describe("kafkajs clients", () => {
  it("log through Effect logging, kafkajs' namespace as an annotation", async () => {
    const captured: Array<Captured> = []
    const capture = Logger.make<unknown, void>(({ logLevel, message, fiber }) => {
      captured.push({
        level: logLevel,
        message: (Array.isArray(message) ? message : [message]).map(String).join(" "),
        annotations: { ...fiber.getRef(References.CurrentLogAnnotations) }
      })
    })
    const services = await Effect.runPromise(
      Effect.context<never>().pipe(
        Effect.provide(Layer.mergeAll(Logger.layer([capture]), Layer.succeed(References.MinimumLogLevel, "Trace")))
      )
    )
    const kafka = makeKafka({ clientId: "log-test", brokers: testKafkaBrokers(), logs: services })
    const consumer = kafka.consumer({ groupId: `log-test-${uniqueSuffix()}` })
    await consumer.connect()
    await consumer.disconnect()
    expect(captured.length).toBeGreaterThan(0)
    expect(captured.every((entry) => typeof entry.annotations.kafkajs === "string")).toBe(true)
    expect(captured.some((entry) => entry.level === "Debug" && entry.annotations.kafkajs === "Consumer")).toBe(true)
  })

  it("are silent unless given services to log with", async () => {
    const written: Array<string> = []
    const original = console.log
    console.log = (...args: Array<unknown>) => void written.push(args.join(" "))
    try {
      const kafka = makeKafka({ clientId: "silent-test", brokers: testKafkaBrokers() })
      const consumer = kafka.consumer({ groupId: `silent-test-${uniqueSuffix()}` })
      await consumer.connect()
      await consumer.disconnect()
    } finally {
      console.log = original
    }
    expect(written).toEqual([])
  })
})
