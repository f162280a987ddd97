import * as fs from "node:fs"
import * as path from "node:path"
import { defaultParams, modelVersionId } from "@xpscore/scoring"
import { Effect, Exit, Option } from "effect"
import { describe, expect, it } from "vitest"
import { failureText, parseConfig, temporaryFolder } from "../../../test/harness/index.ts"
import { loadModelParams, scorerConfig } from "../src/scorerConfig.ts"

const parse = (env: Record<string, string>) => parseConfig(scorerConfig, env)

describe("scorerConfig", () => {
  it("runs the demo out of the box: every setting has a default", () => {
    const exit = parse({})
    expect(Exit.isSuccess(exit) && exit.value).toMatchObject({
      groupId: "xp.scorer",
      httpPort: 9464,
      maxInvalidRatio: 0.25,
      topics: { interactions: "xp.interactions" }
    })
  })

  it("gives each deployment (topic prefix) its own consumer group unless one is named", () => {
    const group = (env: Record<string, string>) => {
      const exit = parse(env)
      return Exit.isSuccess(exit) ? exit.value.groupId : undefined
    }
    expect(group({ XPSCORE_TOPIC_PREFIX: "staging." })).toBe("staging.scorer")
    expect(group({ XPSCORE_TOPIC_PREFIX: "staging.", XPSCORE_SCORER_GROUP_ID: "scorer-blue" })).toBe("scorer-blue")
  })

  it("names the variable that holds an invalid value", () => {
    expect(failureText(parse({ XPSCORE_SCORER_MAX_BATCH_RECORDS: "lots" }))).toContain(
      "XPSCORE_SCORER_MAX_BATCH_RECORDS"
    )
    expect(failureText(parse({ XPSCORE_SCORER_MAX_INVALID_RATIO: "1.5" }))).toContain(
      "XPSCORE_SCORER_MAX_INVALID_RATIO"
    )
    expect(failureText(parse({ XPSCORE_SCORER_SESSION_TIMEOUT_MS: "10" }))).toContain(
      "XPSCORE_SCORER_SESSION_TIMEOUT_MS"
    )
  })
})

describe("loadModelParams (XPSCORE_MODEL_PARAMS)", () => {
  const file = (content: string) => {
    const at = path.join(temporaryFolder("params"), "params.json")
    fs.writeFileSync(at, content)
    return at
  }

  it("reads the parameters a file changes, the rest staying at model version 1", () => {
    const params = Effect.runSync(loadModelParams(Option.some(file(`{"dedupHorizonHours": 48}`))))
    expect(params).toEqual({ ...defaultParams, dedupHorizonHours: 48 })
    expect(modelVersionId(params)).not.toBe(modelVersionId(defaultParams))
    expect(Effect.runSync(loadModelParams(Option.none()))).toBe(defaultParams)
  })

  it("names the variable, the file and every problem", () => {
    const at = file(`{"lambda": -1, "typo": 2}`)
    const message = failureText(Effect.runSyncExit(loadModelParams(Option.some(at))))
    expect(message).toContain(`XPSCORE_MODEL_PARAMS=${at}`)
    expect(message).toContain("lambda")
    expect(message).toContain("typo: unknown parameter")
    expect(failureText(Effect.runSyncExit(loadModelParams(Option.some("/nonexistent/params.json"))))).toContain(
      "XPSCORE_MODEL_PARAMS=/nonexistent/params.json: cannot be read"
    )
  })
})
