import { Effect } from "effect"
import { describe, expect, it } from "vitest"
import { bothClickHouseModes, uniqueSuffix } from "../../../test/harness/index.ts"
import { ClickHouse } from "../src/ClickHouse.ts"
import { sqlString } from "../src/sqlLiteral.ts"

const hostile = [
  "o'brien",
  "back\\slash",
  "\\'",
  "'); DROP TABLE x; --",
  "nul\u0000inside",
  "line\nbreak\ttab\rreturn",
  "\u0001\u001f\u007f",
  "Ærøskøbing – 東京",
  "😀👍🏽",
  ""
]

describe.each(bothClickHouseModes(`escaping_${uniqueSuffix()}`))(
  "sqlString round-trips through ClickHouse (%s)",
  (_, target) => {
    it("returns every hostile string unchanged from a literal", async () => {
      const echoed = await Effect.runPromise(
        Effect.gen(function* () {
          const clickhouse = yield* ClickHouse
          return yield* Effect.forEach(hostile, (value) =>
            Effect.map(clickhouse.query<{ v: string }>(`SELECT ${sqlString(value)} AS v`), (rows) => rows[0]?.v)
          )
        }).pipe(Effect.provide(ClickHouse.layerFor(target())))
      )
      expect(echoed).toEqual(hostile)
    })
  }
)
