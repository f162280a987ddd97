import * as fs from "node:fs"

/**
 * How much CPU time the host took from this machine (Linux's "steal": a
 * virtual CPU that was ready to run but not given a physical one). On a
 * shared VM it varies from minute to minute, and both clocks a benchmark
 * reads count it as the benchmark's own: wall time obviously, and a
 * thread's CPU time too (the guest kernel cannot tell a stolen tick from
 * one it ran). So the figures carry it, as a sign of a busy host rather
 * than a correction: a busy host also slows a VM through the caches and
 * memory they share, and a figure can be low by far more than the share.
 */
export interface CpuTicks {
  readonly steal: number
  readonly total: number
}

/** The machine's CPU ticks so far, all CPUs together; undefined where `/proc/stat` is not there to read. */
export const cpuTicks = (): CpuTicks | undefined => {
  let text: string
  try {
    text = fs.readFileSync("/proc/stat", "utf8")
  } catch {
    return undefined
  }
  const line = text.slice(0, text.indexOf("\n"))
  // cpu user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number)
  if (fields.length < 8 || fields.some((x) => !Number.isFinite(x))) return undefined
  return { steal: fields[7]!, total: fields.reduce((sum, x) => sum + x, 0) }
}

/** The share of the machine's CPU time the host took between two readings (undefined when either is missing). */
export const stealShare = (before: CpuTicks | undefined, after: CpuTicks | undefined): number | undefined => {
  if (before === undefined || after === undefined || after.total <= before.total) return undefined
  return (after.steal - before.steal) / (after.total - before.total)
}

/** "2.4% of CPU time stolen by the host", or nothing when unknown. */
export const formatSteal = (share: number | undefined): string =>
  share === undefined ? "" : `${(share * 100).toFixed(1)}% of CPU time stolen by the host`
