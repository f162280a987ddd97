/**
 * The bench's figures as rows (what the table prints and the JSON holds):
 * each with its unit, the target where it sets one, and whether
 * the run met it.
 */
export interface Target {
  readonly atLeast?: number
  readonly atMost?: number
}

export interface FigureRow {
  /** stable key for the JSON */
  readonly id: string
  readonly label: string
  readonly value: number
  readonly unit: "events/s" | "ratio" | "ms" | "s" | "B"
  readonly target?: Target
  /** how it was taken, in a few words */
  readonly note?: string
}

export const met = (row: FigureRow): boolean | undefined => {
  if (row.target === undefined || !Number.isFinite(row.value)) return row.target === undefined ? undefined : false
  if (row.target.atLeast !== undefined && row.value < row.target.atLeast) return false
  if (row.target.atMost !== undefined && row.value > row.target.atMost) return false
  return true
}

const grouped = (n: number, digits = 0) =>
  n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })

export const formatValue = (value: number, unit: FigureRow["unit"]): string => {
  if (!Number.isFinite(value)) return "n/a"
  switch (unit) {
    case "events/s":
      return `${grouped(value)} events/s`
    case "ratio":
      return value.toFixed(2)
    case "ms":
      return `${grouped(value)} ms`
    case "s":
      return `${value.toFixed(value < 10 ? 2 : 1)} s`
    case "B":
      return `${grouped(value)} B`
  }
}

export const formatTarget = (row: FigureRow): string => {
  const target = row.target
  if (target === undefined) return ""
  const parts: Array<string> = []
  if (target.atLeast !== undefined) parts.push(`≥ ${formatValue(target.atLeast, row.unit)}`)
  if (target.atMost !== undefined) parts.push(`≤ ${formatValue(target.atMost, row.unit)}`)
  return parts.join(", ")
}

/** "met", "MISSED", or nothing when the figure has no target. */
export const verdict = (row: FigureRow) => {
  const ok = met(row)
  return ok === undefined ? "" : ok ? "met" : "MISSED"
}

/** The same rows as a Markdown table (for docs/benchmarks.md). */
export const formatMarkdown = (rows: ReadonlyArray<FigureRow>): string =>
  [
    "| figure | value | target | met | how |",
    "| --- | ---: | --- | --- | --- |",
    ...rows.map(
      (row) =>
        `| ${row.label} | ${formatValue(row.value, row.unit)} | ${formatTarget(row)} | ${verdict(row)} | ${row.note ?? ""} |`
    )
  ].join("\n")
