import * as fs from "node:fs"
import * as path from "node:path"

/** One scenario's line of the summary table. */
export interface SummaryRow {
  readonly scenario: string
  /** records on the interactions topic (valid, duplicates, invalid) */
  readonly eventsIn: number
  /** score records on the scores topic */
  readonly scored: number
  readonly deadLettered: number
  /** score records in ClickHouse (v_score_history), when the scenario ran the projector */
  readonly projected: number | undefined
  /** events, dead letters or rows missing anywhere (topic, dead letters, ClickHouse) */
  readonly lost: number
  /** anything applied, written or counted more than once */
  readonly duplicated: number
  /** the slowest recovery of the scenario: from the fault to the pipeline committing progress again */
  readonly recoveryMs: number | undefined
  /** what was injected, e.g. "6 × SIGKILL (3 in an open transaction)" */
  readonly faults: string
  /** differences from the reference other than lost and duplicated (sequence order, scores, rules) */
  readonly problems: number
  readonly wallMs: number
}

const rowsFile = (home: string) => path.join(home, "summary.jsonl")

export const recordSummaryRow = (home: string, row: SummaryRow) =>
  fs.appendFileSync(rowsFile(home), `${JSON.stringify(row)}\n`)

export const readSummaryRows = (home: string): Array<SummaryRow> =>
  fs.existsSync(rowsFile(home))
    ? fs
        .readFileSync(rowsFile(home), "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as SummaryRow)
    : []

const seconds = (ms: number | undefined) => (ms === undefined ? "–" : `${(ms / 1000).toFixed(1)} s`)
const count = (n: number | undefined) => (n === undefined ? "–" : n.toLocaleString("en-US"))

/** The rows as an aligned text table (numbers right-aligned). */
export const summaryTable = (rows: ReadonlyArray<SummaryRow>): string => {
  const header = [
    "scenario",
    "events in",
    "scored",
    "dead-lettered",
    "projected",
    "lost",
    "duplicated",
    "recovery",
    "faults injected",
    "wall"
  ]
  const body = rows.map((row) => [
    row.scenario,
    count(row.eventsIn),
    count(row.scored),
    count(row.deadLettered),
    count(row.projected),
    count(row.lost),
    count(row.duplicated),
    seconds(row.recoveryMs),
    row.faults + (row.problems > 0 ? ` [${row.problems} other differences]` : ""),
    seconds(row.wallMs)
  ])
  const left = new Set([0, 8])
  const widths = header.map((title, i) => Math.max(title.length, ...body.map((cells) => cells[i]!.length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((cell, i) => (left.has(i) ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join("  ")
      .trimEnd()
  return [line(header), widths.map((w) => "─".repeat(w)).join("  "), ...body.map(line)].join("\n")
}

/** Prints the table of every scenario this run recorded, and whether any lost or duplicated anything. */
export const printSummary = (home: string) => {
  const rows = readSummaryRows(home)
  if (rows.length === 0) return
  const failing = rows.filter((row) => row.lost > 0 || row.duplicated > 0 || row.problems > 0)
  console.log(`\nfault injection summary\n\n${summaryTable(rows)}\n`)
  console.log(
    failing.length === 0
      ? `every scenario: 0 lost, 0 duplicated, equal to the crash-free reference`
      : `NOT EQUAL TO THE REFERENCE: ${failing.map((row) => row.scenario).join(", ")}`
  )
}
