import { formatCount } from "./quantityFormat.ts"
import { displayWidth } from "./terminalTable.ts"

/** Values from `from` up to `to` (the last bucket includes its `to`). */
export interface Bucket {
  readonly from: number
  readonly to: number
  readonly count: number
}

/**
 * Counts values into `buckets` equal ranges over [min, max]; values outside
 * are counted in the first or last bucket, NaN is left out.
 */
export const bucketize = (
  values: Iterable<number>,
  range: { readonly min: number; readonly max: number; readonly buckets: number }
): ReadonlyArray<Bucket> => {
  const size = (range.max - range.min) / range.buckets
  const counts = new Array<number>(range.buckets).fill(0)
  for (const value of values) {
    if (Number.isNaN(value)) continue
    const index = Math.min(range.buckets - 1, Math.max(0, Math.floor((value - range.min) / size)))
    counts[index]! += 1
  }
  return counts.map((count, i) => ({ from: range.min + i * size, to: range.min + (i + 1) * size, count }))
}

const EIGHTHS = ["", "▏", "▎", "▍", "▌", "▋", "▊", "▉"]

/** A bar of `fraction` (0–1) of `width` cells, in eighths of a cell. */
export const horizontalBar = (fraction: number, width: number): string => {
  const eighths = Math.round(Math.min(1, Math.max(0, fraction)) * width * 8)
  return "█".repeat(Math.floor(eighths / 8)) + EIGHTHS[eighths % 8]!
}

/**
 * One line per bucket: its range, a bar scaled to the largest bucket, the count.
 *
 * ```
 *  40–50  ████████████▌            312
 *  50–60  ████████████████████▏    506
 * ```
 */
export const renderHistogram = (
  buckets: ReadonlyArray<Bucket>,
  options: { readonly width?: number; readonly label?: (bucket: Bucket) => string } = {}
): string => {
  const width = options.width ?? 40
  const label = options.label ?? ((b: Bucket) => `${Math.round(b.from)}–${Math.round(b.to)}`)
  const largest = Math.max(1, ...buckets.map((b) => b.count))
  const labels = buckets.map(label)
  const labelWidth = Math.max(0, ...labels.map(displayWidth))
  const counts = buckets.map((b) => formatCount(b.count))
  const countWidth = Math.max(0, ...counts.map((c) => c.length))
  return buckets
    .map((bucket, i) => {
      const bar = horizontalBar(bucket.count / largest, width)
      return `${labels[i]!.padStart(labelWidth)}  ${bar}${" ".repeat(width - displayWidth(bar))}  ${counts[i]!.padStart(countWidth)}`
    })
    .join("\n")
}
