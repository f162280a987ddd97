import { Exit } from "effect"
import { describe, expect, it } from "vitest"
import { failureText, parseConfig } from "../../../test/harness/index.ts"
import { projectorConfig } from "../src/projectorConfig.ts"

const parse = (env: Record<string, string>) => parseConfig(projectorConfig, env)

describe("projectorConfig", () => {
  it("runs the demo out of the box, with Kafka's usual group timing", () => {
    const exit = parse({})
    expect(Exit.isSuccess(exit) && exit.value).toMatchObject({
      groupId: "xpscore-projector",
      sessionTimeoutMs: 30_000,
      heartbeatIntervalMs: 3_000
    })
  })

  it("takes a shorter session timeout, so that a crashed projector's partitions move sooner", () => {
    const exit = parse({ XPSCORE_PROJECTOR_SESSION_TIMEOUT_MS: "6000", XPSCORE_PROJECTOR_HEARTBEAT_INTERVAL_MS: "500" })
    expect(Exit.isSuccess(exit) && exit.value).toMatchObject({ sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500 })
  })

  it("names the variable that holds a value the broker would refuse", () => {
    expect(failureText(parse({ XPSCORE_PROJECTOR_SESSION_TIMEOUT_MS: "10" }))).toContain(
      "XPSCORE_PROJECTOR_SESSION_TIMEOUT_MS"
    )
    expect(failureText(parse({ XPSCORE_PROJECTOR_HEARTBEAT_INTERVAL_MS: "soon" }))).toContain(
      "XPSCORE_PROJECTOR_HEARTBEAT_INTERVAL_MS"
    )
  })
})
