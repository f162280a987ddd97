import { Schema } from "effect"
import fc from "fast-check"
import { defineEventVersion } from "../eventVersion.ts"
import { numberBetween, TouchpointData } from "../payloads.ts"
import { currentRegistry, withVersion } from "../registry.ts"
import { arbitraryNumberBetween, arbitraryTouchpointWire } from "./arbitraries.ts"

/**
 * A real second version of the touchpoint, to prove upcasting end to end:
 * producers that score interactions with a model (sentiment of a chat, say)
 * also send how sure the model is. A v1 producer stated the quality itself,
 * so a v1 touchpoint reads as v2 with `confidence` 1.
 *
 * It lives in the testing entry point, not in the catalogue: the deployed
 * contract is v1 until the scoring model reads `confidence`.
 */
export const TouchpointV2Data = Schema.Struct({
  ...TouchpointData.fields,
  confidence: numberBetween(0, 1, "How sure the producer is of quality, 0 to 1; v1 events read as 1")
})
export type TouchpointV2Data = typeof TouchpointV2Data.Type

export const touchpointV2 = defineEventVersion({
  kind: "touchpoint",
  version: 2,
  data: TouchpointV2Data,
  description: "An interaction with the customer, how it went (quality in [-1, 1]) and how sure the producer is"
})

export const upcastTouchpointV1 = (v1: typeof TouchpointData.Type): TouchpointV2Data => ({ ...v1, confidence: 1 })

/** The current catalogue with touchpoint v2 as the version touchpoints decode into. */
export const registryWithTouchpointV2 = withVersion(currentRegistry, touchpointV2, upcastTouchpointV1)

export type TouchpointV2Wire = typeof touchpointV2.schema.Encoded

/** Valid v2 touchpoints in wire form. */
export const arbitraryTouchpointV2Wire: fc.Arbitrary<TouchpointV2Wire> = fc
  .tuple(arbitraryTouchpointWire, arbitraryNumberBetween(0, 1))
  .map(([v1, confidence]) => ({ ...v1, type: "xp.touchpoint.v2" as const, data: { ...v1.data, confidence } }))
