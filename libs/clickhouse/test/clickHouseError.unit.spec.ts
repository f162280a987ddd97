import { describe, expect, it } from "vitest"
import { toClickHouseError } from "../src/ClickHouseError.ts"

describe("toClickHouseError", () => {
  it("keeps the code @clickhouse/client parsed from a current server's error", () => {
    const error = Object.assign(new Error("Not enough privileges."), { code: "497" })
    expect(toClickHouseError("command", "DROP TABLE t")(error).code).toBe("497")
  })

  it("reads the code from an 18.16 message, which the client does not parse", () => {
    const error = new Error(
      "Code: 164, e.displayText() = DB::Exception: Cannot insert into table in readonly mode, e.what() = DB::Exception"
    )
    const converted = toClickHouseError("insert", "INSERT INTO t")(error)
    expect(converted.code).toBe("164")
    expect(converted.message).toMatch(/^ClickHouse insert failed \(code 164\): Code: 164/)
  })

  it("has no code when the failure is not ClickHouse's (a refused connection)", () => {
    expect(toClickHouseError("query", "SELECT 1")(new Error("connect ECONNREFUSED 127.0.0.1:1")).code).toBeUndefined()
  })
})
