/**
 * The one place where values enter SQL text. ClickHouse 18.16 has no query
 * parameters, so every value a statement embeds goes through these
 * functions; row data never does (inserts send JSONEachRow bodies).
 *
 * String literals: backslash and quote are escaped, every control character
 * (NUL included) becomes `\xHH`, and everything else (any Unicode) passes
 * through as UTF-8. This round-trips on 18.16 and 26.x alike.
 */
export const sqlString = (value: string): string => {
  let out = "'"
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0
    if (char === "\\") out += "\\\\"
    else if (char === "'") out += "\\'"
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, "0")}`
    else out += char
  }
  return `${out}'`
}

const identifierPattern = /^[A-Za-z_][A-Za-z0-9_]*$/

/**
 * A database, table or column name. Only plain identifiers are accepted (we
 * name every object ourselves); anything else is a programming error.
 */
export const sqlIdentifier = (name: string): string => {
  if (!identifierPattern.test(name)) throw new TypeError(`not a plain SQL identifier: ${JSON.stringify(name)}`)
  return `\`${name}\``
}

/** `db`.`table` */
export const sqlQualified = (database: string, name: string): string =>
  `${sqlIdentifier(database)}.${sqlIdentifier(name)}`

/** A finite number as a SQL literal; NaN and infinities are refused rather than written as text ClickHouse would reinterpret. */
export const sqlNumber = (value: number): string => {
  if (!Number.isFinite(value)) throw new TypeError(`not a finite number: ${value}`)
  return Object.is(value, -0) ? "0" : String(value)
}
