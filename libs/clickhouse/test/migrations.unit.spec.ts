import { describe, expect, it } from "vitest"
import { capabilitiesOf, migrationChecksum, migrations } from "../src/migrations/migrate.ts"

/** The SQL without its string literals: comments may mention tanh, code may not. */
const code = (statement: string) => statement.replace(/'(?:\\.|[^'\\])*'/g, "''")

const rendered = (tableComments: boolean) =>
  migrations.flatMap((migration) => migration.statements({ database: "xpscore", tableComments }))

describe("migrations", () => {
  it("are numbered 1, 2, 3, … in order, with distinct names", () => {
    expect(migrations.map((m) => m.version)).toEqual(migrations.map((_, i) => i + 1))
    expect(new Set(migrations.map((m) => m.name)).size).toBe(migrations.length)
  })

  it.each([
    ["DateTime64", /DateTime64/],
    ["LowCardinality", /LowCardinality/],
    ["tanh (missing on 18.16)", /\btanh\s*\(/],
    ["now64", /now64/],
    ["SQL user management", /\b(CREATE USER|CREATE ROLE|GRANT)\b/],
    ["query parameters", /\{[A-Za-z_]+:[A-Za-z]/],
    ["a table COMMENT clause in CREATE", /\)\s*ENGINE[\s\S]*\bCOMMENT\b/]
  ])("keep to the SQL 18.16 and 26.x share: no %s", (_, pattern) => {
    for (const statement of rendered(false)) expect(code(statement)).not.toMatch(pattern)
  })

  it("differ between servers only by the table comments that 18.16 cannot keep", () => {
    const common = rendered(false)
    const withComments = rendered(true)
    expect(withComments.slice(0, common.length)).toEqual(common)
    for (const extra of withComments.slice(common.length)) expect(extra).toMatch(/^ALTER TABLE .* MODIFY COMMENT '/)
  })

  it("have a checksum that depends on the statements only", () => {
    for (const migration of migrations) {
      expect(migrationChecksum(migration)).toMatch(/^[0-9a-f]{16}$/)
      expect(migrationChecksum(migration)).toBe(migrationChecksum({ ...migration }))
    }
    const edited = { ...migrations[0]!, statements: () => ["SELECT 1"] }
    expect(migrationChecksum(edited)).not.toBe(migrationChecksum(migrations[0]!))
  })
})

describe("capabilitiesOf", () => {
  it.each([
    ["18.16.1", false],
    ["21.8.15.7", false],
    ["21.9.1", true],
    ["24.3.2.23", true],
    ["26.7.2.1", true]
  ])("reads table comment support from version %s", (version, tableComments) => {
    expect(capabilitiesOf(version).tableComments).toBe(tableComments)
  })
})
