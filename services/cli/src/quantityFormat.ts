/**
 * Numbers as operators read them in a terminal: thousands separated, units
 * spelled out, durations in the largest sensible unit. One place, so every
 * command prints "12,345 records" and "4 min 05 s" the same way.
 */

const counts = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 })

/** `12,345` */
export const formatCount = (n: number) => counts.format(n)

/** `3 records`, `1 record` */
export const plural = (n: number, singular: string, pluralForm = `${singular}s`) =>
  `${formatCount(n)} ${n === 1 ? singular : pluralForm}`

/** `1.0 %` of a fraction; `–` when there is nothing to divide by */
export const formatPercent = (part: number, whole: number, digits = 1) =>
  whole === 0 ? "–" : `${((100 * part) / whole).toFixed(digits)} %`

/** `850 ms`, `12.3 s`, `4 min 05 s`, `2 h 03 min`, `3 d 04 h`, `7 d` */
export const formatDuration = (ms: number) => {
  if (!Number.isFinite(ms)) return "–"
  if (ms < 1_000) return `${Math.round(ms)} ms`
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)} s`
  const pad = (n: number) => String(n).padStart(2, "0")
  const compound = (major: number, majorUnit: string, minor: number, minorUnit: string) =>
    minor === 0 ? `${major} ${majorUnit}` : `${major} ${majorUnit} ${pad(minor)} ${minorUnit}`
  const seconds = Math.round(ms / 1_000)
  if (seconds < 3_600) return compound(Math.floor(seconds / 60), "min", seconds % 60, "s")
  const minutes = Math.round(ms / 60_000)
  if (minutes < 1_440) return compound(Math.floor(minutes / 60), "h", minutes % 60, "min")
  const hours = Math.round(ms / 3_600_000)
  return compound(Math.floor(hours / 24), "d", hours % 24, "h")
}

/** `512 B`, `12.3 KiB`, `4.5 MiB`, `1.2 GiB` */
export const formatBytes = (bytes: number) => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"]
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`
}

/** `6,810 records/s` */
export const formatRate = (perSecond: number, unit: string) =>
  `${formatCount(perSecond >= 10 ? Math.round(perSecond) : Math.round(perSecond * 10) / 10)} ${unit}/s`

/**
 * A Kafka time setting in milliseconds as a duration: `-1` means forever
 * (`retention.ms`), as Kafka documents it.
 */
export const formatMillisSetting = (value: string | undefined) => {
  if (value === undefined) return "–"
  const ms = Number(value)
  if (!Number.isFinite(ms)) return value
  return ms < 0 ? "forever" : formatDuration(ms)
}
