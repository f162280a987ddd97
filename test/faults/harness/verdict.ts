/**
 * The comparison every scenario ends with, as a pure function: what the
 * pipeline holds after the faults (scores topic, dead letters, ClickHouse
 * views) against what the input says it must hold and the crash-free
 * reference (`xpscore score` on the same input). Modelled on Kafka's
 * transactions system test (the output set equals the input set, no
 * duplicates) and Flink's per-key sequence checker (each customer's records
 * are numbered 1…n, no gap, no repeat).
 *
 * Counts, not just a yes or no: `lost` adds up whatever is missing in any of
 * the places checked, `duplicated` whatever is there, applied or counted more
 * than once, and `problems` names every other difference (a wrong score, a
 * sequence out of order, a dead letter with the wrong rule).
 */

/** What the input says a record must become. */
export type Expectation =
  | { readonly kind: "valid" }
  | { readonly kind: "invalid"; readonly rule: string; readonly path: string; readonly what: string }

/** A record read back from the interactions topic, with what it must become. */
export interface InputRecord {
  readonly partition: number
  readonly offset: string
  readonly expectation: Expectation
  /** for valid records: the event's identity */
  readonly event?: { readonly customerId: string; readonly source: string; readonly id: string }
}

/** A score record as read from the scores topic (topic order). */
export interface ScoredRecord {
  readonly customerId: string
  readonly seq: number
  readonly eventId: string
  readonly eventSource: string
  readonly score: number
}

/** A dead letter as read from the dead-letter topic. */
export interface DeadLetterRecord {
  readonly sourcePartition: number
  readonly sourceOffset: string
  readonly rule: string
  readonly path: string
  /** its value is the original's, byte for byte (or the original's first bytes, and it says it was cut) */
  readonly valueIntact: boolean
}

/** The crash-free reference: `xpscore score` on the valid input records. */
export interface ReferenceScore {
  readonly score: number
  /** events applied (duplicates not) */
  readonly events: number
  /** events beyond the allowed lateness */
  readonly late: number
}

/** What ClickHouse holds, through the BI views. */
export interface ClickHouseContents {
  /** v_score_history per customer: rows, distinct seqs, their least and greatest */
  readonly history: ReadonlyMap<
    string,
    { readonly rows: number; readonly seqs: number; readonly minSeq: number; readonly maxSeq: number }
  >
  /** v_current_scores per customer */
  readonly current: ReadonlyMap<string, { readonly scoreAtLastEvent: number; readonly records: number }>
  /** sums over v_daily_rollups */
  readonly rollupTotals: { readonly events: number; readonly duplicates: number; readonly lateEvents: number }
  /** rollup rows that differ from the same counts aggregated over v_score_history (described) */
  readonly rollupDifferences: ReadonlyArray<string>
  /** rows of v_interactions */
  readonly interactions: number
}

export interface Verdict {
  readonly eventsIn: number
  readonly scored: number
  readonly deadLettered: number
  readonly projected: number | undefined
  readonly lost: number
  readonly duplicated: number
  /** where the lost and duplicated counts come from */
  readonly breakdown: Readonly<Record<string, { readonly lost: number; readonly duplicated: number }>>
  readonly problems: ReadonlyArray<string>
}

export const SCORE_TOLERANCE = 1e-9

const identity = (source: string, id: string) => `${source}\u0000${id}`

const multisetDifference = (
  expected: ReadonlyMap<string, number>,
  actual: ReadonlyMap<string, number>
): { missing: number; extra: number } => {
  let missing = 0
  let extra = 0
  for (const [key, count] of expected) missing += Math.max(0, count - (actual.get(key) ?? 0))
  for (const [key, count] of actual) extra += Math.max(0, count - (expected.get(key) ?? 0))
  return { missing, extra }
}

const countInto = <K>(map: Map<K, number>, key: K) => map.set(key, (map.get(key) ?? 0) + 1)

/** At most this many problems of one kind are described; the rest are counted. */
const DESCRIBED = 5

class Problems {
  readonly list: Array<string> = []
  private readonly perKind = new Map<string, number>()
  add(kind: string, text: string) {
    const seen = countInto(this.perKind, kind).get(kind)!
    if (seen <= DESCRIBED) this.list.push(`${kind}: ${text}`)
  }
  all(): Array<string> {
    const more = [...this.perKind]
      .filter(([, n]) => n > DESCRIBED)
      .map(([kind, n]) => `${kind}: ${n - DESCRIBED} more like these`)
    return [...this.list, ...more]
  }
}

export const judge = (input: {
  readonly records: ReadonlyArray<InputRecord>
  readonly reference: ReadonlyMap<string, ReferenceScore>
  readonly scores: ReadonlyArray<ScoredRecord>
  readonly deadLetters: ReadonlyArray<DeadLetterRecord>
  readonly clickhouse?: ClickHouseContents
}): Verdict => {
  const problems = new Problems()
  const breakdown: Record<string, { lost: number; duplicated: number }> = {}

  // ---- the scores topic: every valid input record scored once, in 1…n order per customer
  const expectedByCustomer = new Map<string, Map<string, number>>()
  for (const record of input.records) {
    if (record.expectation.kind !== "valid" || record.event === undefined) continue
    const { customerId, source, id } = record.event
    const events = expectedByCustomer.get(customerId) ?? new Map<string, number>()
    countInto(events, identity(source, id))
    expectedByCustomer.set(customerId, events)
  }
  const scoredByCustomer = new Map<string, Array<ScoredRecord>>()
  for (const record of input.scores) {
    const list = scoredByCustomer.get(record.customerId) ?? []
    list.push(record)
    scoredByCustomer.set(record.customerId, list)
  }
  const scoresCount = { lost: 0, duplicated: 0 }
  const expectedCount = new Map<string, number>()
  for (const customerId of new Set([...expectedByCustomer.keys(), ...scoredByCustomer.keys()])) {
    const expected = expectedByCustomer.get(customerId) ?? new Map<string, number>()
    const records = scoredByCustomer.get(customerId) ?? []
    const n = [...expected.values()].reduce((a, b) => a + b, 0)
    expectedCount.set(customerId, n)
    const actual = new Map<string, number>()
    for (const record of records) countInto(actual, identity(record.eventSource, record.eventId))
    const { missing, extra } = multisetDifference(expected, actual)
    scoresCount.lost += missing
    scoresCount.duplicated += extra
    if (missing > 0 || extra > 0) {
      problems.add(
        "scores topic",
        `customer ${JSON.stringify(customerId)}: ${missing} events unscored, ${extra} scored more than once`
      )
      continue
    }
    const seqs = records.map((record) => record.seq)
    if (seqs.some((seq, i) => seq !== i + 1)) {
      problems.add(
        "sequence",
        `customer ${JSON.stringify(customerId)}: seqs ${seqs.slice(0, 12).join(",")}${seqs.length > 12 ? ",…" : ""} (expected 1…${n})`
      )
    }
    const reference = input.reference.get(customerId)
    const last = records.at(-1)
    if (reference === undefined) problems.add("reference", `customer ${JSON.stringify(customerId)} has no reference`)
    else if (last !== undefined && !(Math.abs(last.score - reference.score) <= SCORE_TOLERANCE)) {
      problems.add("final score", `customer ${JSON.stringify(customerId)}: ${last.score}, reference ${reference.score}`)
    }
  }
  breakdown["scores topic"] = scoresCount

  // ---- dead letters: exactly the invalid input records, each once, with its rule and bytes
  const invalidAt = new Map<string, InputRecord>()
  const validAt = new Set<string>()
  for (const record of input.records) {
    const at = `${record.partition}:${record.offset}`
    if (record.expectation.kind === "invalid") invalidAt.set(at, record)
    else validAt.add(at)
  }
  const lettersAt = new Map<string, Array<DeadLetterRecord>>()
  for (const letter of input.deadLetters) {
    const at = `${letter.sourcePartition}:${letter.sourceOffset}`
    lettersAt.set(at, [...(lettersAt.get(at) ?? []), letter])
  }
  const lettersCount = { lost: 0, duplicated: 0 }
  for (const [at, record] of invalidAt) {
    const letters = lettersAt.get(at) ?? []
    const expectation = record.expectation as Extract<Expectation, { kind: "invalid" }>
    if (letters.length === 0) {
      lettersCount.lost += 1
      problems.add("dead letters", `no dead letter for ${expectation.what} at ${at}`)
      continue
    }
    lettersCount.duplicated += letters.length - 1
    if (letters.length > 1)
      problems.add("dead letters", `${letters.length} dead letters for ${expectation.what} at ${at}`)
    const letter = letters[0]!
    if (letter.rule !== expectation.rule || letter.path !== expectation.path) {
      problems.add(
        "dead-letter reason",
        `${expectation.what} at ${at}: ${letter.path}: ${letter.rule}, expected ${expectation.path}: ${expectation.rule}`
      )
    }
    if (!letter.valueIntact) problems.add("dead-letter value", `${expectation.what} at ${at}: not the original bytes`)
  }
  for (const [at, letters] of lettersAt) {
    if (invalidAt.has(at)) continue
    lettersCount.duplicated += letters.length
    problems.add(
      "dead letters",
      validAt.has(at) ? `a valid event at ${at} was dead-lettered` : `a dead letter names ${at}, not an input record`
    )
  }
  breakdown["dead letters"] = lettersCount

  // ---- ClickHouse: the views hold each score record once, count it once, agree with the reference
  let projected: number | undefined
  if (input.clickhouse !== undefined) {
    const ch = input.clickhouse
    const history = { lost: 0, duplicated: 0 }
    projected = 0
    for (const [customerId, n] of expectedCount) {
      const row = ch.history.get(customerId)
      const seqs = row?.seqs ?? 0
      projected += row?.rows ?? 0
      const inRange = row === undefined ? 0 : Math.min(seqs, n)
      history.lost += n - inRange
      history.duplicated += (row?.rows ?? 0) - seqs + Math.max(0, seqs - n)
      if (row !== undefined && n > 0 && (row.minSeq !== 1 || row.maxSeq !== n) && seqs === n) {
        problems.add("score history", `customer ${JSON.stringify(customerId)}: seqs ${row.minSeq}…${row.maxSeq}`)
      }
      const current = ch.current.get(customerId)
      const reference = input.reference.get(customerId)
      if (n > 0 && (current === undefined || current.records !== n)) {
        problems.add(
          "current scores",
          `customer ${JSON.stringify(customerId)}: ${current === undefined ? "missing" : `${current.records} records`}, expected ${n}`
        )
      } else if (
        current !== undefined &&
        reference !== undefined &&
        !(Math.abs(current.scoreAtLastEvent - reference.score) <= SCORE_TOLERANCE)
      ) {
        problems.add(
          "current scores",
          `customer ${JSON.stringify(customerId)}: ${current.scoreAtLastEvent}, reference ${reference.score}`
        )
      }
    }
    for (const [customerId, row] of ch.history) {
      if (!expectedCount.has(customerId)) {
        history.duplicated += row.rows
        projected += row.rows
        problems.add("score history", `customer ${JSON.stringify(customerId)} is not in the input`)
      }
    }
    breakdown["ClickHouse score history"] = history

    const counted = ch.rollupTotals.events + ch.rollupTotals.duplicates
    breakdown["ClickHouse rollups"] = {
      lost: Math.max(0, projected - counted),
      duplicated: Math.max(0, counted - projected)
    }
    for (const difference of ch.rollupDifferences) problems.add("rollups", difference)
    const referenceEvents = [...input.reference.values()].reduce((sum, r) => sum + r.events, 0)
    const referenceLate = [...input.reference.values()].reduce((sum, r) => sum + r.late, 0)
    if (ch.rollupTotals.events !== referenceEvents || ch.rollupTotals.lateEvents !== referenceLate) {
      problems.add(
        "rollups",
        `events ${ch.rollupTotals.events} and late ${ch.rollupTotals.lateEvents}; the reference applied ${referenceEvents}, ${referenceLate} late`
      )
    }

    const distinctEvents = new Set(
      input.records.flatMap((record) =>
        record.event === undefined || record.expectation.kind !== "valid"
          ? []
          : [identity(record.event.source, record.event.id)]
      )
    ).size
    breakdown["ClickHouse interactions"] = {
      lost: Math.max(0, distinctEvents - ch.interactions),
      duplicated: Math.max(0, ch.interactions - distinctEvents)
    }
  }

  const parts = Object.values(breakdown)
  return {
    eventsIn: input.records.length,
    scored: input.scores.length,
    deadLettered: input.deadLetters.length,
    projected,
    lost: parts.reduce((sum, part) => sum + part.lost, 0),
    duplicated: parts.reduce((sum, part) => sum + part.duplicated, 0),
    breakdown,
    problems: problems.all()
  }
}
