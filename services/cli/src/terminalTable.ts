/** One column of a {@link formatTable}: its header, alignment and how a row shows in it. */
export interface Column<Row> {
  readonly header: string
  /** numbers read best right-aligned (the default for none) */
  readonly align?: "left" | "right"
  readonly value: (row: Row) => string
}

export interface TableOptions {
  /** put before every line, e.g. two spaces under a heading */
  readonly indent?: string
  /** between columns (two spaces) */
  readonly gap?: string
  /** print the header line (default true) */
  readonly header?: boolean
}

/** Width in terminal cells: code points, with East Asian wide characters and emoji as two. */
export const displayWidth = (text: string) => {
  let width = 0
  for (const char of text) {
    const code = char.codePointAt(0)!
    // combining marks and zero-width joiners take no cell
    if ((code >= 0x300 && code <= 0x36f) || code === 0x200d || (code >= 0xfe00 && code <= 0xfe0f)) continue
    width +=
      (code >= 0x1100 && code <= 0x115f) ||
      (code >= 0x2e80 && code <= 0xa4cf) ||
      (code >= 0xac00 && code <= 0xd7a3) ||
      (code >= 0xf900 && code <= 0xfaff) ||
      (code >= 0xfe30 && code <= 0xfe4f) ||
      (code >= 0xff00 && code <= 0xff60) ||
      (code >= 0xffe0 && code <= 0xffe6) ||
      (code >= 0x1f300 && code <= 0x1faff) ||
      (code >= 0x20000 && code <= 0x3fffd)
        ? 2
        : 1
  }
  return width
}

const pad = (text: string, width: number, align: "left" | "right") => {
  const fill = " ".repeat(Math.max(0, width - displayWidth(text)))
  return align === "right" ? fill + text : text + fill
}

/**
 * Rows as aligned text columns, one line per row, without trailing spaces:
 *
 * ```
 * topic            partitions  cleanup
 * xp.interactions           6  delete
 * ```
 */
export const formatTable = <Row>(
  columns: ReadonlyArray<Column<Row>>,
  rows: ReadonlyArray<Row>,
  options: TableOptions = {}
): string => {
  const indent = options.indent ?? ""
  const gap = options.gap ?? "  "
  const cells = rows.map((row) => columns.map((column) => column.value(row)))
  const showHeader = options.header ?? true
  const widths = columns.map((column, i) =>
    Math.max(showHeader ? displayWidth(column.header) : 0, ...cells.map((line) => displayWidth(line[i]!)))
  )
  const line = (values: ReadonlyArray<string>) =>
    indent +
    values
      .map((value, i) => pad(value, widths[i]!, columns[i]!.align ?? "left"))
      .join(gap)
      .trimEnd()
  return [...(showHeader ? [line(columns.map((column) => column.header))] : []), ...cells.map(line)].join("\n")
}
