/**
 * Line charts in a terminal, drawn with braille characters: each cell holds
 * a 2 × 4 grid of dots, so a 60 × 10 chart has 120 × 40 points of
 * resolution. Pure: points in, lines of text out.
 */

export interface ChartPoint {
  readonly x: number
  readonly y: number
}

export interface LineChartOptions {
  /** width of the plot area in cells (default 60) */
  readonly width?: number
  /** height of the plot area in rows (default 10) */
  readonly height?: number
  readonly yMin: number
  readonly yMax: number
  /** values labelled on the y axis (default yMin, the middle, yMax) */
  readonly yTicks?: ReadonlyArray<number>
  /** how an x value reads under the axis (first and last are labelled) */
  readonly xLabel?: (x: number) => string
  /** how a y value reads beside the axis */
  readonly yLabel?: (y: number) => string
}

/** Dot bits of a braille cell by (column, row) of its 2 × 4 grid, as Unicode numbers them. */
const DOT_BITS: ReadonlyArray<ReadonlyArray<number>> = [
  [0x01, 0x02, 0x04, 0x40],
  [0x08, 0x10, 0x20, 0x80]
]
const BRAILLE_BLANK = 0x2800

/** The dots of a line from (x0, y0) to (x1, y1) (Bresenham), each passed to `plot`. */
const drawLine = (x0: number, y0: number, x1: number, y1: number, plot: (x: number, y: number) => void) => {
  const dx = Math.abs(x1 - x0)
  const dy = -Math.abs(y1 - y0)
  const sx = x0 < x1 ? 1 : -1
  const sy = y0 < y1 ? 1 : -1
  let error = dx + dy
  let x = x0
  let y = y0
  for (;;) {
    plot(x, y)
    if (x === x1 && y === y1) return
    const doubled = 2 * error
    if (doubled >= dy) {
      error += dy
      x += sx
    }
    if (doubled <= dx) {
      error += dx
      y += sy
    }
  }
}

/**
 * The points joined by straight lines, with a y axis (ticks labelled) and
 * the first and last x labelled under it:
 *
 * ```
 * 100 ┤
 *  50 ┼⠤⠤⠔⠒⠉⠉⠑⠒⠤⣀⣀⡠⠤⠒⠒
 *   0 ┤
 *     └──────────────────
 *      2024-01-01   2024-03-31
 * ```
 */
export const renderLineChart = (points: ReadonlyArray<ChartPoint>, options: LineChartOptions): string => {
  const width = Math.max(4, options.width ?? 60)
  const height = Math.max(2, options.height ?? 10)
  const { yMin, yMax } = options
  const yLabel = options.yLabel ?? ((y: number) => String(Math.round(y)))
  const ticks = options.yTicks ?? [yMin, (yMin + yMax) / 2, yMax]
  const dotsWide = width * 2
  const dotsHigh = height * 4
  const cells = Array.from({ length: height }, () => new Array<number>(width).fill(0))

  const sorted = [...points].filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x)
  const xMin = sorted[0]?.x ?? 0
  const xMax = sorted.at(-1)?.x ?? 1
  const xSpan = xMax - xMin
  const toDotX = (x: number) => (xSpan === 0 ? 0 : Math.round(((x - xMin) / xSpan) * (dotsWide - 1)))
  const toDotY = (y: number) => {
    const clamped = Math.min(yMax, Math.max(yMin, y))
    return Math.round((1 - (clamped - yMin) / (yMax - yMin)) * (dotsHigh - 1))
  }
  const plot = (x: number, y: number) => {
    const row = Math.floor(y / 4)
    const column = Math.floor(x / 2)
    cells[row]![column]! |= DOT_BITS[x % 2]![y % 4]!
  }
  if (sorted.length === 1) plot(toDotX(sorted[0]!.x), toDotY(sorted[0]!.y))
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!
    const b = sorted[i]!
    drawLine(toDotX(a.x), toDotY(a.y), toDotX(b.x), toDotY(b.y), plot)
  }

  // a tick labels the row whose dots span its value
  const tickRows = new Map<number, number>()
  for (const tick of ticks) tickRows.set(Math.floor(toDotY(tick) / 4), tick)
  const labels = [...tickRows.values()].map(yLabel)
  const margin = Math.max(0, ...labels.map((label) => label.length))
  const lines = cells.map((row, r) => {
    const tick = tickRows.get(r)
    const axis = tick === undefined ? " │" : " ┤"
    const label = tick === undefined ? "" : yLabel(tick)
    // an empty cell is a space, not the blank braille pattern: lines end clean and copy as text
    const plotted = row.map((bits) => (bits === 0 ? " " : String.fromCodePoint(BRAILLE_BLANK + bits))).join("")
    return `${label.padStart(margin)}${axis}${plotted}`.trimEnd()
  })
  lines.push(`${" ".repeat(margin)} └${"─".repeat(width)}`)
  if (options.xLabel !== undefined && sorted.length > 0) {
    const first = options.xLabel(xMin)
    const last = options.xLabel(xMax)
    // the last label ends under the plot's last column
    const gap = Math.max(1, width - first.length - last.length)
    lines.push(`${" ".repeat(margin + 2)}${first}${" ".repeat(gap)}${last}`.trimEnd())
  }
  return lines.join("\n")
}
