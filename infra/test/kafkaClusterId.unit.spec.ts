import { describe, expect, it } from "vitest"
import { kafkaClusterId } from "../src/kafkaClusterId.ts"

describe("kafkaClusterId", () => {
  it("is 22 base64url characters that decode to 16 bytes", () => {
    const id = kafkaClusterId()
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/u)
    expect(Buffer.from(id, "base64url")).toHaveLength(16)
  })

  it("never starts with '-', which kafka-storage would read as an option", () => {
    // 0xf8 encodes to a leading '-' in base64url; the second draw does not
    const draws = [new Uint8Array(16).fill(0xf8), new Uint8Array(16).fill(0x01)]
    const id = kafkaClusterId(() => draws.shift()!)
    expect(Buffer.from(new Uint8Array(16).fill(0xf8)).toString("base64url")).toMatch(/^-/u)
    expect(id).toBe(Buffer.from(new Uint8Array(16).fill(0x01)).toString("base64url"))
    expect(draws).toHaveLength(0)
  })
})
