import { BinaryHeap } from "./binaryHeap.ts"
import type { JourneyEvent } from "./customerJourney.ts"
import { invalidKindWeights, invalidRecord } from "./invalidRecords.ts"
import type { SeededRandom } from "./seededRandom.ts"
import type { SimulatedRecord } from "./simulatedRecord.ts"
import { DAY_MS, HOUR_MS, type SimulationOptions } from "./simulationOptions.ts"

/**
 * The random numbers one event's fate is decided with. Every event draws all
 * of them, used or not, so that changing one rate (say duplicates) never
 * shifts the numbers another decision (say lateness) sees.
 */
interface Draws {
  readonly late: number
  readonly anchor: number
  readonly ingest: number
  readonly lateDelay: number
  readonly duplicate: number
  readonly duplicateDelay: number
  readonly invalid: number
  readonly invalidKind: number
  readonly invalidVariant: number
  readonly invalidDelay: number
}

const drawsFrom = (random: SeededRandom): Draws => ({
  late: random.next(),
  anchor: random.next(),
  ingest: random.next(),
  lateDelay: random.next(),
  duplicate: random.next(),
  duplicateDelay: random.next(),
  invalid: random.next(),
  invalidKind: random.next(),
  invalidVariant: random.next(),
  invalidDelay: random.next()
})

interface Pending {
  readonly event: JourneyEvent
  /** an event some late event waits for: it must arrive in time itself */
  anchor: boolean
  /** late events released right after this one arrives */
  readonly waiting: Array<{ readonly event: JourneyEvent; readonly draws: Draws }>
}

type Outgoing = SimulatedRecord & { readonly seq: number }

/** How long after an event a record usually reaches the topic. */
const INGEST_MS = { min: 200, max: 20_000 }
/** A held-back event arrives this long after the event it waited for. */
const LATE_AFTER_ANCHOR_MS = { min: 1_000, max: 300_000 }
/** A late event beyond the horizon waits for a later event at most this far ahead; past that it is sent in time. */
const LONGEST_HOLD_MS = 10 * DAY_MS

const pickWeighted = <K extends string>(weights: Readonly<Record<K, number>>, u: number): K => {
  const entries = Object.entries(weights) as Array<[K, number]>
  const total = entries.reduce((sum, [, weight]) => sum + weight, 0)
  let x = u * total
  for (const [key, weight] of entries) {
    x -= weight
    if (x < 0) return key
  }
  return entries[entries.length - 1]![0]
}

/**
 * One customer's records in the order they reach the topic: every journey
 * event, some held back until a later event of the same customer has
 * arrived (late), some sent twice (duplicates), some followed by a broken
 * record (invalid).
 *
 * A late event is made late for sure: it waits for a chosen later event (its
 * anchor), which is sent in time. Inside the horizon the anchor lies at most
 * the allowed lateness minus a margin ahead of it; beyond the horizon, at
 * least the allowed lateness plus a margin (and at most ten days). Only
 * events with such an anchor can be late, so they are chosen with the rate
 * divided by the share of the customer's events that could be so far: the
 * rates hold over the stream however sparse a customer's events are.
 * In-time records keep event-time order, so no event is late by accident,
 * and `lateByMs` is measured on the output, not assumed.
 */
export function* customerArrivals(
  journey: Iterator<JourneyEvent>,
  random: SeededRandom,
  options: SimulationOptions
): Generator<SimulatedRecord> {
  const margin = Math.min(HOUR_MS, options.allowedLatenessMs / 10)
  const withinBound = options.allowedLatenessMs - margin
  const beyondBound = options.allowedLatenessMs + margin
  const withinRate = options.lateRate * (1 - options.lateBeyondHorizonShare)
  const beyondRate = options.lateRate * options.lateBeyondHorizonShare

  const lookahead: Array<Pending> = []
  let exhausted = false
  const pull = () => {
    if (exhausted) return false
    const next = journey.next()
    if (next.done) {
      exhausted = true
      return false
    }
    lookahead.push({ event: next.value, anchor: false, waiting: [] })
    return true
  }
  /** Fills the lookahead up to the first event after `timeMs`; false when the journey ends before. */
  const lookAheadPast = (timeMs: number) => {
    while (lookahead.length === 0 || lookahead[lookahead.length - 1]!.event.timeMs <= timeMs) {
      if (!pull()) return false
    }
    return true
  }

  /** Later events inside the horizon of an event at `t`: waiting for one makes it late, but not too late. */
  const withinAnchors = (t: number) => {
    lookAheadPast(t + withinBound)
    return lookahead.filter((p) => p.event.timeMs > t && p.event.timeMs <= t + withinBound)
  }
  /** The first event clearly beyond the horizon of an event at `t`, if one comes soon enough. */
  const beyondAnchor = (t: number): Pending | undefined => {
    for (let i = 0; ; i++) {
      if (i === lookahead.length && !pull()) return undefined
      const candidate = lookahead[i]!
      if (candidate.event.timeMs > t + LONGEST_HOLD_MS) return undefined
      if (candidate.event.timeMs >= t + beyondBound) return candidate
    }
  }

  const outgoing = new BinaryHeap<Outgoing>(
    (a, b) => a.arrivalMs < b.arrivalMs || (a.arrivalMs === b.arrivalMs && a.seq < b.seq)
  )
  let seq = 0
  let seen = 0
  let eligibleWithin = 0
  let eligibleBeyond = 0
  let lastInTimeArrival = Number.NEGATIVE_INFINITY
  let newestSent = Number.NEGATIVE_INFINITY

  const send = (event: JourneyEvent, arrivalMs: number, draws: Draws) => {
    const { customerId, source, id, type, timeMs, text, note } = event
    outgoing.push({
      kind: "event",
      customerId,
      arrivalMs,
      source,
      id,
      type,
      timeMs,
      value: text,
      note,
      lateByMs: 0,
      seq: seq++
    })
    if (draws.duplicate < options.duplicateRate) {
      // mostly a retry after a timeout; sometimes a batch re-sent hours later
      const delay =
        draws.duplicateDelay < 0.9
          ? 50 + (draws.duplicateDelay / 0.9) * 120_000
          : 120_000 + ((draws.duplicateDelay - 0.9) / 0.1) * 6 * HOUR_MS
      outgoing.push({
        kind: "duplicate",
        customerId,
        arrivalMs: Math.round(arrivalMs + delay),
        source,
        id,
        type,
        timeMs,
        value: text,
        seq: seq++
      })
    }
    if (draws.invalid < options.invalidRate) {
      const invalidKind = pickWeighted(invalidKindWeights, draws.invalidKind)
      const broken = invalidRecord(invalidKind, event, draws.invalidVariant)
      outgoing.push({
        kind: "invalid",
        customerId,
        arrivalMs: Math.round(arrivalMs + 500 + draws.invalidDelay * 30_000),
        invalidKind,
        value: broken.value,
        path: broken.path,
        rule: broken.rule,
        seq: seq++
      })
    }
  }

  /** Lateness measured as the scorer will see it: against the newest event of the customer sent before. */
  const measured = (record: Outgoing): SimulatedRecord => {
    const { seq: _seq, ...plain } = record
    if (plain.kind === "invalid") return plain
    const lateByMs = Math.max(0, newestSent - plain.timeMs)
    newestSent = Math.max(newestSent, plain.timeMs)
    return plain.kind === "event" ? { ...plain, lateByMs } : plain
  }

  for (;;) {
    if (lookahead.length === 0 && !pull()) break
    const current = lookahead.shift()!
    const t = current.event.timeMs
    const draws = drawsFrom(random)

    let anchor: Pending | undefined
    if (options.lateRate > 0) {
      seen++
      const within = current.anchor ? [] : withinAnchors(t)
      const beyond = current.anchor ? undefined : beyondAnchor(t)
      if (within.length > 0) eligibleWithin++
      if (beyond !== undefined) eligibleBeyond++
      // late among the events that can be, scaled by how many can: the rates hold over the stream
      const pWithin = within.length === 0 ? 0 : Math.min(1, (withinRate * (seen + 4)) / (eligibleWithin + 2))
      const pBeyond = beyond === undefined ? 0 : Math.min(1, (beyondRate * (seen + 4)) / (eligibleBeyond + 2))
      if (draws.late < pWithin) anchor = within[Math.floor(draws.anchor * within.length)]!
      else if (draws.late < pWithin + pBeyond) anchor = beyond
    }

    if (anchor !== undefined) {
      anchor.anchor = true
      anchor.waiting.push({ event: current.event, draws })
    } else {
      const arrival = Math.max(
        Math.round(t + INGEST_MS.min + draws.ingest * (INGEST_MS.max - INGEST_MS.min)),
        lastInTimeArrival + 1
      )
      lastInTimeArrival = arrival
      send(current.event, arrival, draws)
      let after = arrival
      for (const late of current.waiting) {
        after = Math.round(
          after +
            LATE_AFTER_ANCHOR_MS.min +
            late.draws.lateDelay * (LATE_AFTER_ANCHOR_MS.max - LATE_AFTER_ANCHOR_MS.min)
        )
        send(late.event, after, late.draws)
      }
    }

    // Everything still to come arrives no earlier than the next event's time
    // (held events wait for anchors among those): what arrives before is final.
    if (lookahead.length === 0) pull()
    const bound = lookahead.length === 0 ? Number.POSITIVE_INFINITY : lookahead[0]!.event.timeMs
    while (outgoing.size > 0 && outgoing.peek()!.arrivalMs <= bound) yield measured(outgoing.pop()!)
  }
  while (outgoing.size > 0) yield measured(outgoing.pop()!)
}
