import type { Bucket } from "./histogram.ts"
import type { ChartPoint } from "./terminalChart.ts"

/**
 * Charts as inline SVG text, for reports that must open anywhere without
 * scripts or network: a line chart and a bar chart (histogram). Pure.
 */

/** Text for HTML and SVG content and attribute values. */
export const escapeXml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)

const num = (value: number) => (Math.round(value * 10) / 10).toString()

export interface SvgLineChartOptions {
  readonly width?: number
  readonly height?: number
  readonly yMin: number
  readonly yMax: number
  readonly yTicks?: ReadonlyArray<number>
  readonly xLabel?: (x: number) => string
  /** accessible title of the chart */
  readonly title: string
}

const MARGIN = { left: 36, right: 12, top: 10, bottom: 24 }

/** A line through the points (sorted by x), with a y axis, gridlines at the ticks, and the ends of x labelled. */
export const lineChartSvg = (points: ReadonlyArray<ChartPoint>, options: SvgLineChartOptions): string => {
  const width = options.width ?? 640
  const height = options.height ?? 220
  const plotWidth = width - MARGIN.left - MARGIN.right
  const plotHeight = height - MARGIN.top - MARGIN.bottom
  const sorted = [...points].filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x)
  const xMin = sorted[0]?.x ?? 0
  const xMax = sorted.at(-1)?.x ?? 1
  const x = (value: number) => MARGIN.left + (xMax === xMin ? 0 : ((value - xMin) / (xMax - xMin)) * plotWidth)
  const y = (value: number) =>
    MARGIN.top +
    (1 - (Math.min(options.yMax, Math.max(options.yMin, value)) - options.yMin) / (options.yMax - options.yMin)) *
      plotHeight
  const ticks = options.yTicks ?? [options.yMin, (options.yMin + options.yMax) / 2, options.yMax]
  const grid = ticks
    .map(
      (tick) =>
        `<line class="grid" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${num(y(tick))}" y2="${num(y(tick))}"/>` +
        `<text class="tick" x="${MARGIN.left - 6}" y="${num(y(tick) + 4)}" text-anchor="end">${escapeXml(String(tick))}</text>`
    )
    .join("")
  const path = sorted.map((p, i) => `${i === 0 ? "M" : "L"}${num(x(p.x))},${num(y(p.y))}`).join(" ")
  const last = sorted.at(-1)
  const labels =
    options.xLabel === undefined || sorted.length === 0
      ? ""
      : `<text class="tick" x="${MARGIN.left}" y="${height - 6}">${escapeXml(options.xLabel(xMin))}</text>` +
        `<text class="tick" x="${width - MARGIN.right}" y="${height - 6}" text-anchor="end">${escapeXml(options.xLabel(xMax))}</text>`
  return (
    `<svg class="chart line-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">` +
    `<title>${escapeXml(options.title)}</title>${grid}` +
    `<line class="axis" x1="${MARGIN.left}" x2="${MARGIN.left}" y1="${MARGIN.top}" y2="${height - MARGIN.bottom}"/>` +
    `<line class="axis" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${height - MARGIN.bottom}" y2="${height - MARGIN.bottom}"/>` +
    (path === "" ? "" : `<path class="line" d="${path}"/>`) +
    (last === undefined ? "" : `<circle class="point" cx="${num(x(last.x))}" cy="${num(y(last.y))}" r="3.5"/>`) +
    `${labels}</svg>`
  )
}

export interface SvgBarChartOptions {
  readonly width?: number
  readonly height?: number
  readonly title: string
  readonly label?: (bucket: Bucket) => string
}

/** One bar per bucket, scaled to the largest, with its range under it and its count above it. */
export const histogramSvg = (buckets: ReadonlyArray<Bucket>, options: SvgBarChartOptions): string => {
  const width = options.width ?? 640
  const height = options.height ?? 220
  const label = options.label ?? ((b: Bucket) => `${Math.round(b.from)}–${Math.round(b.to)}`)
  const plotWidth = width - MARGIN.left - MARGIN.right
  const plotHeight = height - MARGIN.top - MARGIN.bottom - 12
  const largest = Math.max(1, ...buckets.map((b) => b.count))
  const slot = plotWidth / Math.max(1, buckets.length)
  const bars = buckets
    .map((bucket, i) => {
      const barHeight = (bucket.count / largest) * plotHeight
      const left = MARGIN.left + i * slot + slot * 0.1
      const top = MARGIN.top + 12 + plotHeight - barHeight
      return (
        `<rect class="bar" x="${num(left)}" y="${num(top)}" width="${num(slot * 0.8)}" height="${num(barHeight)}"><title>${escapeXml(`${label(bucket)}: ${bucket.count}`)}</title></rect>` +
        `<text class="count" x="${num(left + slot * 0.4)}" y="${num(top - 3)}" text-anchor="middle">${bucket.count}</text>` +
        `<text class="tick" x="${num(left + slot * 0.4)}" y="${height - 6}" text-anchor="middle">${escapeXml(label(bucket))}</text>`
      )
    })
    .join("")
  return (
    `<svg class="chart histogram" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img">` +
    `<title>${escapeXml(options.title)}</title>` +
    `<line class="axis" x1="${MARGIN.left}" x2="${width - MARGIN.right}" y1="${height - MARGIN.bottom}" y2="${height - MARGIN.bottom}"/>` +
    `${bars}</svg>`
  )
}
