import * as fs from "node:fs"
import { fileURLToPath } from "node:url"
import type { ClickHouseTarget } from "@xpscore/config"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { embeddedTarget, serverTarget, uniqueSuffix } from "../../../test/harness/index.ts"
import { ClickHouse } from "../src/ClickHouse.ts"
import { dataDictionary } from "../src/dataDictionary.ts"
import { migrate } from "../src/migrations/migrate.ts"
import { sqlIdentifier } from "../src/sqlLiteral.ts"

const published = fileURLToPath(new URL("../../../docs/data-dictionary.md", import.meta.url))

const generate = (target: ClickHouseTarget) =>
  Effect.runPromise(
    Effect.gen(function* () {
      yield* migrate
      return yield* dataDictionary
    }).pipe(Effect.provide(ClickHouse.layerFor(target)))
  )

describe("the data dictionary (docs/data-dictionary.md)", () => {
  it("is what the migrations create, described column by column", async () => {
    const generated = await generate({ ...embeddedTarget("xpscore") })
    expect(fs.existsSync(published), "run ./xpscore migrate dictionary --out docs/data-dictionary.md").toBe(true)
    expect(
      fs.readFileSync(published, "utf8"),
      "docs/data-dictionary.md drifted from the schema: run ./xpscore migrate dictionary --out docs/data-dictionary.md"
    ).toBe(generated)
  })

  it("reads the same from the ClickHouse server, whose types match the embedded engine's", async () => {
    const target = serverTarget(`dictionary_${uniqueSuffix()}`)
    const fromServer = await generate(target)
    await Effect.runPromise(
      Effect.gen(function* () {
        yield* (yield* ClickHouse).command(`DROP DATABASE ${sqlIdentifier(target.database)}`)
      }).pipe(Effect.provide(ClickHouse.layerFor(target)))
    )
    expect(fromServer).toBe(fs.readFileSync(published, "utf8"))
  })
})
