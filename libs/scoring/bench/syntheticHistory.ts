import type { ModelEvent } from "../src/index.ts"
import { DAY_MS, HOUR_MS, uniformEvent } from "../src/index.ts"

/**
 * A deterministic multi-customer history for the fold benchmark, the memory
 * figures and the tests: journeys of touchpoints, expectations on a few
 * dimensions, surveys, and issues resolved up to three days later, in
 * sessions of one to five events about an hour apart, interleaved into one
 * stream in event-time order. Seeded, so every run folds the same events.
 *
 * The history is first drawn as compact numeric specs, sorted, and only then
 * materialized as `ModelEvent` objects, in stream order and in chunks: like a
 * decoder, which hands the fold freshly allocated events one batch at a time
 * (a pre-built array of millions of scattered event objects would measure the
 * memory system, not the model).
 */
export interface SyntheticOptions {
  readonly customers: number
  /** Mean events per customer (each customer gets between half and one and a half of it). */
  readonly eventsPerCustomer: number
  /** Each customer's journey spans up to this many days. */
  readonly spanDays: number
  readonly seed: number
  readonly startMs?: number
  /**
   * "time": one stream in event-time order, customers interleaved (what a
   * scorer's input looks like); "customer": each customer's events together,
   * in time order (a replay or rebuild per key). Default "time".
   */
  readonly order?: "time" | "customer"
}

export interface CustomerEvent {
  readonly customerId: string
  readonly event: ModelEvent
}

/** mulberry32: small, fast, and the same on every machine. */
export const seededRandom = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const sources = ["/checkout", "/delivery", "/support-desk", "/survey-tool", "/app"] as const
const dimensions = ["delivery-speed", "price", "support", "app-quality"] as const

const K_TOUCHPOINT = 0
const K_EXPECTATION = 1
const K_SURVEY = 2
const K_OPENED = 3
const K_RESOLVED = 4

/** Numbers per spec: t, customer, kind, a, b, c, issue number, id seed. */
const SPEC = 8

export interface SyntheticHistory {
  readonly events: number
  readonly customers: number
  /** The events from `from` (inclusive) to `to` (exclusive), materialized in stream order. */
  readonly slice: (from: number, to: number) => Array<CustomerEvent>
}

const customerName = (index: number) => `customer-${String(index).padStart(7, "0")}`

const hex8 = (x: number) => (x >>> 0).toString(16).padStart(8, "0")

/** A UUID-shaped id, a pure function of its seed. */
const eventIdOf = (seed: number) => {
  const random = seededRandom(seed)
  const word = () => Math.floor(random() * 0x100000000)
  const a = hex8(word())
  const b = hex8(word())
  const c = hex8(word())
  const d = hex8(word())
  return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${c.slice(0, 4)}-${c.slice(4)}${d}`
}

export const syntheticHistory = (options: SyntheticOptions): SyntheticHistory => {
  const random = seededRandom(options.seed)
  const start = options.startMs ?? 1_700_000_000_000
  const span = options.spanDays * DAY_MS
  const specs: Array<number> = []
  const round = (x: number) => Math.round(x * 100) / 100
  const push = (t: number, customer: number, kind: number, a: number, b: number, c: number, issue: number) => {
    specs.push(t, customer, kind, a, b, c, issue, Math.floor(random() * 0x7fffffff))
  }
  for (let customer = 0; customer < options.customers; customer++) {
    const count = Math.max(1, Math.round(options.eventsPerCustomer * (0.5 + random())))
    let issue = 0
    // Interactions come in sessions (an order, its delivery, a support call…): one to five events
    // minutes to hours apart, the sessions spread over the span.
    let sessionLeft = 0
    let t = start
    for (let k = 0; k < count; k++) {
      if (sessionLeft === 0) {
        sessionLeft = 1 + Math.floor(random() * 5)
        t = start + Math.floor(random() * span)
      } else {
        t += Math.floor(-Math.log(1 - random()) * HOUR_MS)
      }
      sessionLeft--
      const pick = random()
      if (pick < 0.4) {
        push(t, customer, K_TOUCHPOINT, round(random() * 2 - 0.8), 0, 0, 0)
      } else if (pick < 0.7) {
        const expected = round(0.3 + random() * 0.5)
        const actual = round(Math.min(1, Math.max(0, expected + random() * 0.6 - 0.3)))
        const dimension = Math.floor(random() * dimensions.length)
        push(t, customer, K_EXPECTATION, expected, actual, dimension + (random() < 0.3 ? 8 : 0), 0)
      } else if (pick < 0.85) {
        const nps = random() < 0.5
        push(t, customer, K_SURVEY, nps ? Math.floor(random() * 11) : 1 + Math.floor(random() * 5), nps ? 1 : 0, 0, 0)
      } else {
        issue++
        push(t, customer, K_OPENED, round(0.1 + random() * 0.9), 0, 0, issue)
        const resolvedAt = t + Math.floor(random() * 72 * HOUR_MS)
        push(resolvedAt, customer, K_RESOLVED, round(random()), random() < 0.7 ? 1 : 0, 0, issue)
        k++
      }
    }
  }
  const count = specs.length / SPEC
  const order = new Uint32Array(count)
  for (let i = 0; i < count; i++) order[i] = i
  if (options.order === "customer") {
    order.sort((x, y) => specs[x * SPEC + 1]! - specs[y * SPEC + 1]! || specs[x * SPEC]! - specs[y * SPEC]! || x - y)
  } else {
    order.sort((x, y) => specs[x * SPEC]! - specs[y * SPEC]! || x - y)
  }

  const materialize = (i: number): CustomerEvent => {
    const at = order[i]! * SPEC
    const t = specs[at]!
    const customerId = customerName(specs[at + 1]!)
    const kind = specs[at + 2]!
    const a = specs[at + 3]!
    const b = specs[at + 4]!
    const c = specs[at + 5]!
    const id = eventIdOf(specs[at + 7]!)
    const issueId = `${customerId}-issue-${specs[at + 6]!}`
    let event: ModelEvent
    if (kind === K_TOUCHPOINT) event = { kind: "touchpoint", id, source: sources[4], t, quality: a }
    else if (kind === K_EXPECTATION) {
      event = {
        kind: "expectation",
        id,
        source: sources[0],
        t,
        dimension: dimensions[c & 7]!,
        expected: a,
        actual: b,
        negotiated: (c & 8) !== 0
      }
    } else if (kind === K_SURVEY)
      event = { kind: "survey", id, source: sources[3], t, scale: b === 1 ? "nps" : "csat", value: a }
    else if (kind === K_OPENED) event = { kind: "issueOpened", id, source: sources[2], t, issueId, severity: a }
    else event = { kind: "issueResolved", id, source: sources[2], t, issueId, quality: a, withinSla: b === 1 }
    return { customerId, event }
  }

  return {
    events: count,
    customers: options.customers,
    slice: (from, to) => {
      const out: Array<CustomerEvent> = []
      for (let i = from; i < Math.min(to, count); i++) out.push(materialize(i))
      // Through JSON, so that strings and objects look like a decoder's (flat, fresh, in stream
      // order), then in the one shape fromInteraction gives the scorer's events.
      const decoded = JSON.parse(JSON.stringify(out)) as Array<CustomerEvent>
      return decoded.map(({ customerId, event }) => ({ customerId, event: uniformEvent(event) }))
    }
  }
}
