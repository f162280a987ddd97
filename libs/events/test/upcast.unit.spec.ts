import { Effect, Result, Schema } from "effect"
import fc from "fast-check"
import { describe, expect, it } from "vitest"
import {
  currentRegistry,
  decodeEvent,
  decodeEventOrThrow,
  defineEventVersion,
  EventDecoder,
  type EventRegistry,
  encodeEventJson,
  eventJsonSchemas,
  withVersion,
  type XpEvent
} from "../src/index.ts"
import {
  arbitraryTouchpointV2Wire,
  arbitraryTouchpointWire,
  registryWithTouchpointV2,
  TouchpointV2Data,
  touchpointV2,
  upcastTouchpointV1,
  validSamples
} from "../src/testing/index.ts"
import { jsonSchemaValidator } from "./jsonSchemaValidator.ts"

const v1 = validSamples.touchpoint

describe("versions and upcasting", () => {
  it("reads a v1 touchpoint through the upcaster as the current v2", () => {
    const event = decodeEventOrThrow(registryWithTouchpointV2, JSON.stringify(v1))
    expect(event).toMatchObject({
      kind: "touchpoint",
      type: "xp.touchpoint.v2",
      id: v1.id,
      source: v1.source,
      subject: v1.subject,
      time: v1.time,
      data: { quality: 0.5, aspect: "competence", confidence: 1 }
    })
  })

  it("upcasts every v1 touchpoint into a valid v2 that encodes and decodes to itself", () => {
    const isV2Data = Schema.is(TouchpointV2Data)
    fc.assert(
      fc.property(arbitraryTouchpointWire, (wire) => {
        const event = decodeEventOrThrow(registryWithTouchpointV2, JSON.stringify(wire))
        expect(event.data).toEqual(upcastTouchpointV1(wire.data))
        expect(isV2Data(event.data)).toBe(true)
        expect(decodeEventOrThrow(registryWithTouchpointV2, encodeEventJson(event))).toEqual(event)
      }),
      { numRuns: 300 }
    )
  })

  it("reads v2 touchpoints as they are, and leaves the other types alone", () => {
    fc.assert(
      fc.property(arbitraryTouchpointV2Wire, (wire) => {
        const event = decodeEventOrThrow(registryWithTouchpointV2, JSON.stringify(wire))
        expect(JSON.parse(encodeEventJson(event))).toEqual(JSON.parse(JSON.stringify(wire)))
      }),
      { numRuns: 300 }
    )
    expect(decodeEventOrThrow(registryWithTouchpointV2, validSamples.survey)).toEqual(
      decodeEventOrThrow(currentRegistry, validSamples.survey)
    )
  })

  it("rejects v2 as an unknown version where the registry has only v1", () => {
    const v2 = { ...v1, type: "xp.touchpoint.v2", data: { ...v1.data, confidence: 0.7 } }
    const result = decodeEvent(currentRegistry, JSON.stringify(v2))
    expect(Result.isFailure(result) && [result.failure.path, result.failure.rule]).toEqual(["type", "unknown-version"])
  })

  it("checks v1 records against v1 (a v1 touchpoint may not carry confidence)", () => {
    const result = decodeEvent(registryWithTouchpointV2, JSON.stringify({ ...v1, data: { ...v1.data, confidence: 1 } }))
    expect(Result.isFailure(result) && [result.failure.path, result.failure.rule]).toEqual([
      "data.confidence",
      "unknown-field"
    ])
  })

  it("publishes a JSON Schema for v1 and v2 in the extended registry", () => {
    expect(eventJsonSchemas(registryWithTouchpointV2).map((file) => file.fileName)).toContain(
      "xp.touchpoint.v2.schema.json"
    )
    const validator = jsonSchemaValidator(registryWithTouchpointV2)
    expect(
      validator.accepts("xp.event.schema.json", {
        ...v1,
        type: "xp.touchpoint.v2",
        data: { quality: 0.1, confidence: 0.5 }
      })
    ).toBe(true)
    expect(validator.accepts("xp.touchpoint.v2.schema.json", v1)).toBe(false)
  })

  it("chains upcasters: a v3 reads v1 through v2", () => {
    const touchpointV3 = defineEventVersion({
      kind: "touchpoint",
      version: 3,
      data: TouchpointV2Data,
      description: "v3"
    })
    const v3 = withVersion(registryWithTouchpointV2, touchpointV3, (data) => ({
      ...data,
      confidence: data.confidence / 2
    }))
    expect(decodeEventOrThrow(v3, v1)).toMatchObject({ type: "xp.touchpoint.v3", data: { confidence: 0.5 } })
  })

  it("refuses a version that does not follow the current one", () => {
    expect(() => withVersion(registryWithTouchpointV2, touchpointV2, upcastTouchpointV1 as never)).toThrow(
      /must follow/
    )
  })

  it("lets a service run with the extended registry through the EventDecoder layer", async () => {
    const extended: EventRegistry<XpEvent> = registryWithTouchpointV2
    const decodeWith = (layer: typeof EventDecoder.layer) =>
      Effect.runPromise(
        Effect.gen(function* () {
          const decoder = yield* EventDecoder
          return decoder.decode(
            JSON.stringify({ ...v1, type: "xp.touchpoint.v2", data: { quality: 1, confidence: 0.2 } })
          )
        }).pipe(Effect.provide(layer))
      )
    const before = await decodeWith(EventDecoder.layer)
    const after = await decodeWith(EventDecoder.layerFor(extended))
    expect(Result.isFailure(before) && before.failure.rule).toBe("unknown-version")
    expect(Result.isSuccess(after) && after.success.data).toEqual({ quality: 1, confidence: 0.2 })
  })
})
