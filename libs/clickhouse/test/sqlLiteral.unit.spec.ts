import { describe, expect, it } from "vitest"
import { sqlIdentifier, sqlNumber, sqlQualified, sqlString } from "../src/sqlLiteral.ts"

describe("sqlString", () => {
  it.each([
    ["plain", "abc", "'abc'"],
    ["single quote", "o'brien", "'o\\'brien'"],
    ["backslash", "a\\b", "'a\\\\b'"],
    ["backslash before quote", "\\'", "'\\\\\\''"],
    ["injection attempt", "'); DROP TABLE x; --", "'\\'); DROP TABLE x; --'"],
    ["NUL", "a\u0000b", "'a\\x00b'"],
    ["newline, tab, carriage return", "a\nb\tc\rd", "'a\\x0ab\\x09c\\x0dd'"],
    ["other control characters", "\u0001\u001f\u007f", "'\\x01\\x1f\\x7f'"],
    ["non-ASCII", "Ærøskøbing – 東京", "'Ærøskøbing – 東京'"],
    ["emoji (astral plane)", "😀👍🏽", "'😀👍🏽'"],
    ["empty", "", "''"]
  ])("escapes %s", (_, input, expected) => {
    expect(sqlString(input)).toBe(expected)
  })
})

describe("sqlIdentifier", () => {
  it("quotes plain identifiers", () => {
    expect(sqlIdentifier("score_history")).toBe("`score_history`")
    expect(sqlQualified("xpscore", "customer_scores")).toBe("`xpscore`.`customer_scores`")
  })
  it.each(["", "1abc", "a-b", "a`b", "a b", "a;DROP", "é"])("refuses %j", (name) => {
    expect(() => sqlIdentifier(name)).toThrow(/not a plain SQL identifier/)
  })
})

describe("sqlNumber", () => {
  it("writes finite numbers and refuses the rest", () => {
    expect(sqlNumber(1.5)).toBe("1.5")
    expect(sqlNumber(-0)).toBe("0")
    expect(sqlNumber(1e-9)).toBe("1e-9")
    expect(() => sqlNumber(Number.NaN)).toThrow()
    expect(() => sqlNumber(Number.POSITIVE_INFINITY)).toThrow()
  })
})
