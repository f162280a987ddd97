import { recordBytes, simulationRecords, withSimulationDefaults } from "@xpscore/simulator"
import { describe, expect, it } from "vitest"
import { generateInput, messageAt } from "../src/benchInput.ts"
import { quickPlan } from "../src/benchPlan.ts"

describe("the bench input", () => {
  it("holds the simulator's records, in order, as the keys and values that go to Kafka", () => {
    const input = generateInput(quickPlan, 10_000)
    const { customers, days, seed } = quickPlan.simulation
    let i = 0
    let bytes = 0
    for (const record of simulationRecords(
      withSimulationDefaults({ customers, days, seed, startMs: Date.UTC(2025, 0, 1) })
    )) {
      const message = messageAt(input.records, i++)
      expect(message.key?.toString()).toBe(record.customerId)
      expect(Buffer.compare(message.value as Buffer, Buffer.from(recordBytes(record)))).toBe(0)
      bytes += recordBytes(record).length
    }
    expect(input.records.count).toBe(i)
    expect(input.bytes).toBe(bytes)
    expect(JSON.parse(input.probeTemplate)).toMatchObject({ specversion: "1.0", subject: expect.any(String) })
  })

  it("refuses a plan that needs more records than the simulation gives", () => {
    expect(() => generateInput(quickPlan, 10_000_000)).toThrow(/the plan needs 10000000/)
  })
})
