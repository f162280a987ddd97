import { type DeadLetterEntry, deadLetterInfoOf } from "@xpscore/kafka"

/**
 * Which dead letters an operator means: by rule, by words of the reason, by
 * when they were dead-lettered, by the producer (CloudEvents source) of the
 * original, or by their offsets. Every given criterion must hold. Pure.
 */
export interface DeadLetterSelection {
  /** rejection rules (`range`, `unknown-version`, `key-mismatch`, …); any of them */
  readonly rules: ReadonlyArray<string>
  /** text the reason (`path: rule: detail`) contains, case-insensitive */
  readonly reason: string | undefined
  /** dead-lettered at or after (epoch ms) */
  readonly sinceMs: number | undefined
  /** dead-lettered before (epoch ms) */
  readonly untilMs: number | undefined
  /** text the original's CloudEvents source contains, case-insensitive */
  readonly source: string | undefined
  /** offsets on the dead-letter topic (`17`, or `0:17` with the partition) */
  readonly offsets: ReadonlyArray<string>
}

export const everything: DeadLetterSelection = {
  rules: [],
  reason: undefined,
  sinceMs: undefined,
  untilMs: undefined,
  source: undefined,
  offsets: []
}

/** Whether a selection names anything (a redrive of every dead letter must be asked for explicitly). */
export const selectsSomething = (selection: DeadLetterSelection) =>
  selection.rules.length > 0 ||
  selection.reason !== undefined ||
  selection.sinceMs !== undefined ||
  selection.untilMs !== undefined ||
  selection.source !== undefined ||
  selection.offsets.length > 0

/** When the record was dead-lettered: its header, else the Kafka timestamp. */
export const deadLetteredAtMs = (entry: DeadLetterEntry) => deadLetterInfoOf(entry)?.source.timeMs ?? entry.timestampMs

/** `path: rule: detail`, or why the headers are not an xpscore dead letter's. */
export const reasonOf = (entry: DeadLetterEntry) => {
  const info = deadLetterInfoOf(entry)
  return info === undefined
    ? entry.info._tag === "Failure"
      ? entry.info.failure.message
      : ""
    : `${info.path}: ${info.rule}: ${info.detail}`
}

const matchesOffset = (entry: DeadLetterEntry, wanted: string) => {
  const at = wanted.indexOf(":")
  return at < 0
    ? entry.offset === wanted
    : entry.partition === Number(wanted.slice(0, at)) && entry.offset === wanted.slice(at + 1)
}

export const matchesSelection = (entry: DeadLetterEntry, selection: DeadLetterSelection): boolean => {
  const info = deadLetterInfoOf(entry)
  if (selection.rules.length > 0 && (info === undefined || !selection.rules.includes(info.rule))) return false
  if (selection.reason !== undefined && !reasonOf(entry).toLowerCase().includes(selection.reason.toLowerCase())) {
    return false
  }
  const atMs = deadLetteredAtMs(entry)
  if (selection.sinceMs !== undefined && atMs < selection.sinceMs) return false
  if (selection.untilMs !== undefined && atMs >= selection.untilMs) return false
  if (
    selection.source !== undefined &&
    !(entry.original.source ?? "").toLowerCase().includes(selection.source.toLowerCase())
  ) {
    return false
  }
  if (selection.offsets.length > 0 && !selection.offsets.some((wanted) => matchesOffset(entry, wanted))) return false
  return true
}

export const selectDeadLetters = (entries: ReadonlyArray<DeadLetterEntry>, selection: DeadLetterSelection) =>
  entries.filter((entry) => matchesSelection(entry, selection))

/** How many of the entries each rule has, most first. */
export const countByRule = (entries: ReadonlyArray<DeadLetterEntry>) => {
  const counts = new Map<string, number>()
  for (const entry of entries) {
    const rule = deadLetterInfoOf(entry)?.rule ?? "(unreadable headers)"
    counts.set(rule, (counts.get(rule) ?? 0) + 1)
  }
  return [...counts]
    .map(([rule, count]) => ({ rule, count }))
    .sort((a, b) => b.count - a.count || a.rule.localeCompare(b.rule))
}
