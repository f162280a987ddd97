import { formatCount, formatDuration, formatRate } from "./quantityFormat.ts"

export interface ProgressState {
  readonly label: string
  readonly done: number
  /** unknown totals show a count and a rate, without bar or ETA */
  readonly total: number | undefined
  /** what is counted, plural: `records`, `events` */
  readonly unit: string
  readonly elapsedMs: number
}

const BAR_CELLS = 24

/**
 * One line of progress:
 * `publish  [██████████░░░░░░░░░░░░░░]  41 %  32,100 / 80,112 records  6,810 records/s  ETA 7.0 s`
 */
export const renderProgressLine = (state: ProgressState): string => {
  const rate = state.elapsedMs > 0 ? (state.done * 1000) / state.elapsedMs : 0
  const speed = state.elapsedMs >= 500 ? `  ${formatRate(rate, state.unit)}` : ""
  if (state.total === undefined || state.total <= 0) {
    return `${state.label}  ${formatCount(state.done)} ${state.unit}${speed}  ${formatDuration(state.elapsedMs)}`
  }
  const fraction = Math.min(1, state.done / state.total)
  const filled = Math.round(fraction * BAR_CELLS)
  const bar = `[${"█".repeat(filled)}${"░".repeat(BAR_CELLS - filled)}]`
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)} %`
  const remaining = state.total - state.done
  const eta =
    fraction >= 1
      ? `  done in ${formatDuration(state.elapsedMs)}`
      : rate > 0 && state.elapsedMs >= 500
        ? `  ETA ${formatDuration((remaining * 1000) / rate)}`
        : ""
  return `${state.label}  ${bar}  ${percent}  ${formatCount(state.done)} / ${formatCount(state.total)} ${state.unit}${speed}${eta}`
}

export interface ProgressBar {
  /** record progress; redraws at most every `minIntervalMs` */
  readonly update: (done: number) => void
  /** draw the final state and end the line */
  readonly finish: (done?: number) => void
}

export interface ProgressBarOptions {
  readonly label: string
  readonly total: number | undefined
  readonly unit: string
  /** default standard error, so standard output stays clean for data and JSON */
  readonly stream?: NodeJS.WriteStream
  readonly minIntervalMs?: number
  /** milliseconds now (for tests) */
  readonly now?: () => number
}

/**
 * A progress bar on a terminal, redrawn in place; where the stream is not a
 * terminal (CI logs, files) one plain line per tenth of the way, so logs
 * show progress without thousands of lines.
 */
export const makeProgressBar = (options: ProgressBarOptions): ProgressBar => {
  const stream = options.stream ?? process.stderr
  const now = options.now ?? (() => performance.now())
  const started = now()
  const interactive = stream.isTTY === true
  const minInterval = options.minIntervalMs ?? 100
  let lastDraw = Number.NEGATIVE_INFINITY
  let lastTenth = -1
  let done = 0
  let finished = false

  const line = () =>
    renderProgressLine({
      label: options.label,
      done,
      total: options.total,
      unit: options.unit,
      elapsedMs: now() - started
    })
  const draw = (final: boolean) => {
    if (interactive) {
      stream.write(`\r${line()}\u001b[K${final ? "\n" : ""}`)
      return
    }
    const tenth = options.total === undefined || options.total <= 0 ? -1 : Math.floor((10 * done) / options.total)
    if (final || tenth > lastTenth) {
      lastTenth = tenth
      stream.write(`${line()}\n`)
    }
  }
  return {
    update: (value) => {
      if (finished) return
      done = value
      const t = now()
      if (t - lastDraw >= minInterval) {
        lastDraw = t
        draw(false)
      }
    },
    finish: (value) => {
      if (finished) return
      finished = true
      if (value !== undefined) done = value
      draw(true)
    }
  }
}
