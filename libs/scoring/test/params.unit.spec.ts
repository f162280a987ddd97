import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { canonicalParams, defaultParams, modelVersionId, type Params, parseParams } from "../src/index.ts"

describe("the parameters of model version 1", () => {
  it("are the table of scoring-model.md", () => {
    expect(defaultParams).toMatchObject({
      lambda: 2.0,
      a: 0.88,
      cMeet: 0.25,
      kappa: 0.25,
      rhoMax: 0.8,
      dd: 0.5,
      hPosDays: 30,
      hNegDays: 60,
      hEndPosDays: 14,
      hFailDays: 180,
      w0: 1,
      e0: 0.5,
      etaUp: 0.2,
      etaDown: 0.05,
      deltaPerYear: 0.02,
      calibrationMs: Date.parse("2023-11-14T22:13:20Z"),
      omegaAvg: 0.5,
      omegaEnd: 0.3,
      omegaPeak: 0.2,
      g: 1.2,
      weightTouchpoint: 0.5,
      weightExpectation: 1,
      weightIssue: 1,
      weightSurvey: 3,
      allowedLatenessHours: 24,
      bufferCap: 512
    })
  })

  it("have a version id derived from the values that never changes for these values", () => {
    // Changing this string means changing model version 1: a new version must be a new parameter set.
    expect(modelVersionId(defaultParams)).toBe("m1-d18b94010b4e")
  })

  it("give any changed value a different version id, and equal values the same id", () => {
    fc.assert(
      fc.property(fc.constantFrom(...(Object.keys(defaultParams) as Array<keyof Params>)), (name) => {
        const changed = parseParams({
          [name]: defaultParams[name] + (name === "bufferCap" || name === "dedupCap" ? 1 : 0.001)
        })
        expect(changed.ok).toBe(true)
        if (!changed.ok) return
        expect(modelVersionId(changed.params)).not.toBe(modelVersionId(defaultParams))
        const same = parseParams(JSON.parse(canonicalParams(changed.params)))
        expect(same.ok && modelVersionId(same.params)).toBe(modelVersionId(changed.params))
      })
    )
  })
})

describe("a params file", () => {
  it("given only the values it changes, then the rest are the defaults", () => {
    const parsed = parseParams({ lambda: 2.25, allowedLatenessHours: 48 })
    expect(parsed).toEqual({ ok: true, params: { ...defaultParams, lambda: 2.25, allowedLatenessHours: 48 } })
  })

  it("given an unknown field, then it is refused by name (a typo must not fall back to a default)", () => {
    const parsed = parseParams({ lamda: 2.25 })
    expect(parsed.ok).toBe(false)
    if (!parsed.ok) expect(parsed.errors[0]).toMatch(/^lamda: unknown parameter/)
  })

  it("given invalid values, then every problem is reported with the field and the rule", () => {
    const parsed = parseParams({ hPosDays: 0, a: 1.5, bufferCap: 2.5, g: "1.2" })
    expect(parsed.ok).toBe(false)
    if (parsed.ok) return
    expect(parsed.errors).toEqual([
      "a: 1.5 is outside (0, 1]: an exponent in (0, 1]",
      "bufferCap: 2.5 is outside [1, 1000000] (an integer): a count of events",
      'g: expected a finite number, got "1.2"',
      "hPosDays: 0 is outside (0, ∞]: a half-life"
    ])
  })

  it("given something other than an object, then it is refused", () => {
    expect(parseParams([1, 2])).toEqual({ ok: false, errors: ["params: expected a JSON object"] })
    expect(parseParams(null).ok).toBe(false)
  })
})
