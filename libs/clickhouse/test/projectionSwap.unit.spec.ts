import { describe, expect, it } from "vitest"
import { projectionTables, shadowDatabaseOf, swapStatements } from "../src/projectionSwap.ts"

describe("swapStatements", () => {
  it("on an Atomic database exchanges each projection table with its shadow, one atomic statement per table", () => {
    expect(swapStatements("Atomic", "xpscore", shadowDatabaseOf("xpscore"))).toEqual(
      projectionTables.map((table) => `EXCHANGE TABLES \`xpscore\`.\`${table}\` AND \`xpscore_shadow\`.\`${table}\``)
    )
  })

  it("on an Ordinary database (18.16: no EXCHANGE) moves every table in one RENAME statement", () => {
    const [statement, ...rest] = swapStatements("Ordinary", "xpscore", "xpscore_shadow")
    expect(rest).toEqual([])
    expect(statement).toBe(
      `RENAME TABLE ${projectionTables
        .map(
          (table) =>
            `\`xpscore\`.\`${table}\` TO \`xpscore_shadow\`.\`${table}_previous\`, \`xpscore_shadow\`.\`${table}\` TO \`xpscore\`.\`${table}\``
        )
        .join(", ")}`
    )
  })

  it("replaces the tables the projector writes, keeping thresholds and the migrations record", () => {
    expect([...projectionTables].sort()).toEqual([
      "customer_scores",
      "daily_rollup_state",
      "interactions",
      "score_history"
    ])
  })
})
