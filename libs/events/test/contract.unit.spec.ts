import { Result } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { hasControlCharacters } from "../src/ids.ts"
import { currentRegistry, decodeEvent, decodeEventValue, rejectionRules } from "../src/index.ts"
import { arbitraryWireEvent, invalidSamples, validSamples } from "../src/testing/index.ts"
import { jsonSchemaValidator } from "./jsonSchemaValidator.ts"

const jsonSchema = jsonSchemaValidator(currentRegistry)
const decode = (raw: string | Uint8Array) => decodeEvent(currentRegistry, raw)

describe("the event contract", () => {
  describe.each(Object.entries(validSamples))("a valid %s", (_, event) => {
    it("passes the Effect Schema and decodes into the current version", () => {
      const result = decode(JSON.stringify(event))
      expect(Result.isSuccess(result) && result.success).toMatchObject({
        type: event.type,
        subject: "customer-1",
        timeMs: Date.parse(event.time),
        data: event.data
      })
    })

    it("passes its generated JSON Schema and the union of all types", () => {
      expect(jsonSchema.accepts(`${event.type}.schema.json`, JSON.stringify(event))).toBe(true)
      expect(jsonSchema.accepts("xp.event.schema.json", JSON.stringify(event))).toBe(true)
    })
  })

  it("has at least 25 invalid samples, covering every rule", () => {
    expect(invalidSamples.length).toBeGreaterThanOrEqual(25)
    expect(new Set(invalidSamples.map((sample) => sample.rule))).toEqual(new Set(rejectionRules))
  })

  describe.each(invalidSamples.map((sample) => [sample.name, sample] as const))("%s", (_, sample) => {
    it(`is rejected at ${sample.path} for ${sample.rule}, with a message naming both`, () => {
      const result = decode(sample.raw)
      expect(Result.isFailure(result)).toBe(true)
      if (Result.isFailure(result)) {
        expect({ path: result.failure.path, rule: result.failure.rule }).toEqual({
          path: sample.path,
          rule: sample.rule
        })
        expect(result.failure.message).toContain(sample.path)
        expect(result.failure.message).toContain(sample.rule)
        expect(hasControlCharacters(result.failure.message)).toBe(false)
      }
    })

    it("is rejected by the generated JSON Schema too", () => {
      expect(jsonSchema.accepts("xp.event.schema.json", sample.raw)).toBe(false)
    })
  })

  it("reads ids with quotes, backslashes, SQL, emoji and right-to-left text unchanged", () => {
    for (const subject of [`'); DROP TABLE x; --`, 'a "quoted" \\ id', "😀👍🏽", "مرحبا", "🎉".repeat(256)]) {
      const event = { ...validSamples.touchpoint, subject, id: subject, source: subject }
      const result = decode(JSON.stringify(event))
      expect(Result.isSuccess(result) && [result.success.subject, result.success.id, result.success.source]).toEqual([
        subject,
        subject,
        subject
      ])
      expect(jsonSchema.accepts("xp.touchpoint.v1.schema.json", event)).toBe(true)
    }
  })

  it("accepts every generated valid event, as both validators do", () => {
    fc.assert(
      fc.property(arbitraryWireEvent, (event) => {
        const raw = JSON.stringify(event)
        expect(Result.isSuccess(decode(raw))).toBe(true)
        expect(jsonSchema.accepts(`${event.type}.schema.json`, raw)).toBe(true)
      }),
      { numRuns: 500 }
    )
  })

  /**
   * The decoder (JIT-compiled Effect Schema) and the JSON Schema are two
   * independent implementations of one contract: on arbitrary damage to
   * valid events they must agree on accept or reject.
   */
  it("agrees with the JSON Schema on valid events with random damage", () => {
    const leafPaths = (value: unknown, prefix: ReadonlyArray<string> = []): Array<ReadonlyArray<string>> =>
      value !== null && typeof value === "object"
        ? Object.entries(value).flatMap(([key, child]) => [[...prefix, key], ...leafPaths(child, [...prefix, key])])
        : []
    const damaged = fc
      .tuple(
        arbitraryWireEvent,
        fc.nat(),
        fc.oneof(
          fc.constant<"delete">("delete"),
          fc.record({ set: fc.jsonValue({ maxDepth: 1 }) }),
          fc.record({ add: fc.string({ maxLength: 8 }), value: fc.jsonValue({ maxDepth: 1 }) })
        )
      )
      .map(([event, pick, damage]) => {
        const copy = structuredClone(event) as Record<string, unknown>
        const paths = leafPaths(copy)
        const path = paths[pick % paths.length]!
        const parent = path.slice(0, -1).reduce((node, key) => node[key] as Record<string, unknown>, copy)
        const key = path[path.length - 1]!
        if (damage === "delete") delete parent[key]
        else if ("set" in damage) parent[key] = damage.set
        else parent[damage.add] = damage.value
        return copy
      })
    const outcomes = { accepted: 0, rejected: 0 }
    fc.assert(
      fc.property(damaged, (value) => {
        const effect = Result.isSuccess(decodeEventValue(currentRegistry, value))
        expect(jsonSchema.accepts("xp.event.schema.json", value)).toBe(effect)
        outcomes[effect ? "accepted" : "rejected"]++
      }),
      { numRuns: 3000 }
    )
    // the damage must exercise both answers, or the agreement says little
    expect(outcomes.accepted).toBeGreaterThan(100)
    expect(outcomes.rejected).toBeGreaterThan(1000)
  })
})
