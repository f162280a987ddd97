import { formatTimestamp, SPEC_VERSION, type SurveyScale, type XpEventKind } from "@xpscore/events"
import { BinaryHeap } from "./binaryHeap.ts"
import { type Channel, type CustomerProfile, type Segment, Streams } from "./customerProfile.ts"
import { type SeededRandom, seededRandom } from "./seededRandom.ts"
import { DAY_MS, HOUR_MS, type SimulationOptions } from "./simulationOptions.ts"

/** The services that report interactions, as CloudEvents `source`. */
export const sources = ["storefront", "checkout", "delivery", "after-sales", "support-desk", "survey-tool"] as const
export type Source = (typeof sources)[number]

export type ExpectationOutcome = "met" | "exceeded" | "missed"
export type Recovery = "well" | "partly" | "badly"
export type IssueCause = "late-delivery" | "defective-product" | "billing" | "repeat-failure"

/** What the simulator meant by an event: the ground truth its summary and tests count. */
export type JourneyNote =
  | { readonly kind: "touchpoint"; readonly aspect: "competence" | "character" | undefined }
  | {
      readonly kind: "expectation"
      readonly dimension: string
      readonly outcome: ExpectationOutcome
      readonly negotiated: boolean
    }
  | { readonly kind: "issue-opened"; readonly cause: IssueCause; readonly secondFailure: boolean }
  | { readonly kind: "issue-resolved"; readonly recovery: Recovery; readonly withinSla: boolean }
  | { readonly kind: "survey"; readonly scale: SurveyScale }

/** One valid event of a customer's journey. */
export interface JourneyEvent {
  readonly timeMs: number
  readonly customerId: string
  readonly source: Source
  readonly id: string
  readonly type: string
  /** the CloudEvent in wire form, attributes in the order `encodeEvent` writes them */
  readonly wire: Readonly<Record<string, unknown>>
  /** its JSON text: exactly the bytes that are written or sent */
  readonly text: string
  readonly note: JourneyNote
}

interface Action {
  readonly timeMs: number
  readonly seq: number
  readonly run: (timeMs: number) => void
}

interface Order {
  readonly ref: string
  readonly channel: Channel
  readonly promisedDays: number
  readonly actualDays: number
  readonly productTier: number
}

interface Issue {
  readonly issueId: string
  readonly channel: Channel
  readonly recovery: Recovery
  readonly quality: number
  readonly withinSla: boolean
  readonly secondFailure: boolean
}

const round3 = (x: number) => Math.round(x * 1000) / 1000
const clamp = (x: number, min: number, max: number) => Math.min(max, Math.max(min, x))
const byTime = (a: { timeMs: number; seq: number }, b: { timeMs: number; seq: number }) =>
  a.timeMs < b.timeMs || (a.timeMs === b.timeMs && a.seq < b.seq)

/** Delivery speed on the expectation scale: next day is 0.875, a week is 0.125, eight days or more 0. */
const deliverySpeed = (days: number) => round3(clamp(1 - days / 8, 0, 1))

const priceNegotiation: Record<Segment, number> = { consumer: 0.03, smb: 0.25, enterprise: 0.6 }
const deliveryNegotiation: Record<Segment, number> = { consumer: 0.02, smb: 0.15, enterprise: 0.5 }
const promisedDayRange: Record<Segment, readonly [number, number]> = {
  consumer: [2, 5],
  smb: [1, 3],
  enterprise: [1, 2]
}

/** Half-life of the customer's mood: how long an experience colours their survey answers. */
const MOOD_HALF_LIFE_MS = 21 * DAY_MS

/**
 * One customer's journey as a discrete-event simulation: actions (an order,
 * a delivery, a support ticket, a survey wave) run in time order, emit
 * events and schedule their consequences. The customer's mood, a decayed
 * average of how their experiences felt, drives their survey answers, so
 * surveys agree with what happened to them.
 */
class Journey {
  private readonly actions = new BinaryHeap<Action>(byTime)
  private readonly ready = new BinaryHeap<JourneyEvent & { readonly seq: number }>(byTime)
  private readonly random: SeededRandom
  private readonly profile: CustomerProfile
  private readonly startMs: number
  private readonly endMs: number
  private seq = 0
  private orders = 0
  private sessions = 0
  private tickets = 0
  private surveys = 0
  private moodSum = 0
  private moodWeight = 0
  private moodAtMs: number

  constructor(profile: CustomerProfile, options: SimulationOptions) {
    this.profile = profile
    this.random = seededRandom(options.seed, Streams.journey, profile.index)
    this.startMs = options.startMs
    this.endMs = options.startMs + options.days * DAY_MS
    this.moodAtMs = profile.activeFromMs
    const r = this.random
    const from = profile.activeFromMs
    this.schedule(this.atDaytime(from + r.exponential(profile.meanDaysBetweenOrders * 0.6) * DAY_MS), (t) =>
      this.order(t)
    )
    this.schedule(this.atDaytime(from + r.exponential(1 / profile.sessionsPerDay) * DAY_MS), (t) => this.session(t))
    this.schedule(this.atDaytime(from + r.between(5, 60) * DAY_MS), (t) => this.npsWave(t))
  }

  *events(): Generator<JourneyEvent> {
    for (;;) {
      const next = this.actions.peek()
      const horizon = next === undefined || next.timeMs >= this.endMs ? this.endMs : next.timeMs
      while (this.ready.size > 0 && this.ready.peek()!.timeMs <= horizon) {
        const event = this.ready.pop()!
        if (event.timeMs >= this.startMs && event.timeMs < this.endMs) yield event
      }
      if (next === undefined || next.timeMs >= this.endMs) return
      this.actions.pop()
      next.run(next.timeMs)
    }
  }

  private schedule(timeMs: number, run: (timeMs: number) => void) {
    if (timeMs < this.endMs) this.actions.push({ timeMs: Math.round(timeMs), seq: this.seq++, run })
  }

  /** A moment on the day of `ms` when people shop and call: around noon or in the evening, never before `ms`'s day starts. */
  private atDaytime(ms: number) {
    const r = this.random
    const day = Math.floor(ms / DAY_MS) * DAY_MS
    const hour = r.chance(0.55) ? r.normal(12, 2.5) : r.normal(19.5, 1.8)
    return Math.max(this.startMs, day + Math.round(clamp(hour, 6.5, 23.5) * HOUR_MS + r.between(0, 60_000)))
  }

  private emit(
    timeMs: number,
    source: Source,
    kind: XpEventKind,
    id: string,
    channel: Channel,
    data: Record<string, unknown>,
    note: JourneyNote
  ) {
    const time = Math.round(timeMs)
    const type = `xp.${kind}.v1`
    // attributes in the order encodeEvent writes them (a test holds the two to byte equality)
    const wire = {
      specversion: SPEC_VERSION,
      id,
      source,
      type,
      subject: this.profile.id,
      time: formatTimestamp(time),
      channel,
      segment: this.profile.segment,
      data
    }
    this.ready.push({
      timeMs: time,
      seq: this.seq++,
      customerId: this.profile.id,
      source,
      id,
      type,
      wire,
      text: JSON.stringify(wire),
      note
    })
  }

  // --- mood: what the customer's recent experiences felt like, in [-1, 1]-ish ---

  private feel(timeMs: number, value: number, weight: number) {
    this.decayMoodTo(timeMs)
    this.moodSum += weight * value
    this.moodWeight += weight
  }

  private mood(timeMs: number) {
    this.decayMoodTo(timeMs)
    return this.moodSum / (this.moodWeight + 0.5)
  }

  private decayMoodTo(timeMs: number) {
    if (timeMs <= this.moodAtMs) return
    const factor = 2 ** (-(timeMs - this.moodAtMs) / MOOD_HALF_LIFE_MS)
    this.moodSum *= factor
    this.moodWeight *= factor
    this.moodAtMs = timeMs
  }

  private touchpoint(
    timeMs: number,
    source: Source,
    id: string,
    channel: Channel,
    quality: number,
    aspect: "competence" | "character" | undefined,
    moodWeight: number
  ) {
    const q = round3(clamp(quality, -1, 1))
    this.emit(
      timeMs,
      source,
      "touchpoint",
      id,
      channel,
      aspect === undefined ? { quality: q } : { quality: q, aspect },
      { kind: "touchpoint", aspect }
    )
    this.feel(timeMs, q < 0 ? 2 * q : q, moodWeight)
  }

  private expectation(
    timeMs: number,
    source: Source,
    id: string,
    channel: Channel,
    dimension: string,
    expected: number,
    actual: number,
    negotiated: boolean
  ) {
    const e = round3(clamp(expected, 0, 1))
    const a = round3(clamp(actual, 0, 1))
    const outcome: ExpectationOutcome = a > e ? "exceeded" : a < e ? "missed" : "met"
    this.emit(
      timeMs,
      source,
      "expectation",
      id,
      channel,
      negotiated ? { dimension, expected: e, actual: a, negotiated } : { dimension, expected: e, actual: a },
      { kind: "expectation", dimension, outcome, negotiated }
    )
    const gap = a - e
    this.feel(timeMs, 0.25 + (gap >= 0 ? gap : 2 * gap), 1)
  }

  private pickChannel(): Channel {
    const r = this.random
    return r.chance(0.75) ? this.profile.preferredChannel : r.pick(["web", "app", "phone", "store"] as const)
  }

  // --- the actions ---

  private session(t: number) {
    const r = this.random
    const n = ++this.sessions
    const preferred = this.profile.preferredChannel
    const channel: Channel = preferred === "web" || preferred === "app" ? preferred : r.chance(0.5) ? "web" : "app"
    const failed = r.chance(0.04 + 0.02 * Math.max(0, -this.profile.serviceLevel))
    const quality = failed ? -r.between(0.3, 0.8) : clamp(r.normal(0.25, 0.15), 0, 0.8)
    const aspect = failed || r.chance(0.2) ? "competence" : undefined
    this.touchpoint(t, "storefront", `${this.profile.id}/session-${n}`, channel, quality, aspect, 0.2)
    this.schedule(this.atDaytime(t + Math.max(0.2, r.exponential(1 / this.profile.sessionsPerDay)) * DAY_MS), (next) =>
      this.session(next)
    )
  }

  private order(t: number) {
    const r = this.random
    const { segment, serviceLevel } = this.profile
    const n = ++this.orders
    const ref = `${this.profile.id}/order-${n}`
    const channel = this.pickChannel()

    const friction = r.chance(0.06)
    const checkoutQuality = friction ? -r.between(0.3, 0.8) : clamp(r.normal(0.55, 0.15), 0.1, 1)
    this.touchpoint(
      t,
      "checkout",
      ref,
      channel,
      checkoutQuality,
      friction || r.chance(0.5) ? "competence" : undefined,
      0.5
    )

    const priceNegotiated = r.chance(priceNegotiation[segment])
    const expectedPrice = r.between(0.45, 0.7)
    const priceOutcome = priceNegotiated
      ? r.weighted({ met: 0.85, exceeded: 0.05, missed: 0.1 })
      : r.weighted({ met: 0.7, exceeded: 0.18, missed: 0.12 })
    const priceGap =
      priceOutcome === "met" ? 0 : priceOutcome === "exceeded" ? r.between(0.05, 0.3) : -r.between(0.05, 0.35)
    this.expectation(
      t + r.int(2_000, 20_000),
      "checkout",
      `${ref}/price`,
      channel,
      "price",
      expectedPrice,
      round3(expectedPrice) + priceGap,
      priceNegotiated
    )

    const [fewest, most] = promisedDayRange[segment]
    const promisedDays = r.int(fewest, most)
    const pLate = clamp(0.14 - 0.05 * serviceLevel, 0.03, 0.35)
    const pVeryLate = clamp(0.04 - 0.02 * serviceLevel, 0.005, 0.15)
    const pEarly = promisedDays >= 2 ? 0.12 : 0
    const timing = r.weighted({
      early: pEarly,
      onTime: 1 - pEarly - pLate - pVeryLate,
      late: pLate,
      veryLate: pVeryLate
    })
    const actualDays =
      timing === "early"
        ? promisedDays - 1
        : timing === "onTime"
          ? promisedDays
          : timing === "late"
            ? promisedDays + r.int(1, 2)
            : promisedDays + r.int(3, 7)
    const order: Order = { ref, channel, promisedDays, actualDays, productTier: r.between(0.5, 0.8) }
    const deliveredAt = Math.max(t + 2 * HOUR_MS, this.atDaytime(t + actualDays * DAY_MS))
    this.schedule(deliveredAt, (at) => this.deliver(at, order))

    const promisedAt = t + promisedDays * DAY_MS
    // a customer chases a late parcel before it arrives
    if (timing === "veryLate" && r.chance(0.7)) {
      const chasedAt = Math.min(promisedAt + r.between(12, 40) * HOUR_MS, deliveredAt - HOUR_MS)
      const severity = r.between(0.3, 0.7)
      this.schedule(chasedAt, (at) => this.openIssue(at, "late-delivery", severity, false))
    } else if (timing === "late" && r.chance(0.12)) {
      const chasedAt = Math.min(promisedAt + r.between(6, 20) * HOUR_MS, deliveredAt - HOUR_MS)
      const severity = r.between(0.1, 0.3)
      this.schedule(chasedAt, (at) => this.openIssue(at, "late-delivery", severity, false))
    }
    if (r.chance(0.015)) {
      const severity = r.between(0.2, 0.5)
      this.schedule(this.atDaytime(t + r.between(2, 20) * DAY_MS), (at) =>
        this.openIssue(at, "billing", severity, false)
      )
    }

    const nextAt = this.atDaytime(t + r.exponential(this.profile.meanDaysBetweenOrders) * DAY_MS)
    this.schedule(Math.max(nextAt, t + 10 * 60_000), (at) => this.order(at))
  }

  private deliver(t: number, order: Order) {
    const r = this.random
    const negotiated = r.chance(deliveryNegotiation[this.profile.segment])
    this.expectation(
      t,
      "delivery",
      `${order.ref}/delivery`,
      order.channel,
      "delivery-speed",
      deliverySpeed(order.promisedDays),
      deliverySpeed(order.actualDays),
      negotiated
    )
    if (r.chance(0.4)) {
      const rude = r.chance(0.05)
      const quality = rude ? -r.between(0.3, 0.7) : clamp(r.normal(0.35, 0.25), -0.1, 1)
      this.touchpoint(
        t + r.int(30_000, 180_000),
        "delivery",
        `${order.ref}/handover`,
        order.channel,
        quality,
        "character",
        0.5
      )
    }
    if (r.chance(0.5 * this.profile.surveyPropensity)) {
      this.schedule(t + r.between(2, 48) * HOUR_MS, (at) => this.survey(at, "csat", undefined))
    }
    if (r.chance(0.45))
      this.schedule(this.atDaytime(t + r.between(1, 10) * DAY_MS), (at) => this.productCheck(at, order))
  }

  private productCheck(t: number, order: Order) {
    const r = this.random
    const outcome = r.weighted({ met: 0.62, exceeded: 0.22, missed: 0.16 })
    const gap = outcome === "met" ? 0 : outcome === "exceeded" ? r.between(0.05, 0.2) : -r.between(0.1, 0.5)
    const tier = round3(order.productTier)
    this.expectation(
      t,
      "after-sales",
      `${order.ref}/product-check`,
      "email",
      "product-quality",
      tier,
      tier + gap,
      false
    )
    if (gap <= -0.3 && r.chance(0.6)) {
      const severity = r.between(0.4, 0.9)
      this.schedule(t + r.between(1, 48) * HOUR_MS, (at) => this.openIssue(at, "defective-product", severity, false))
    }
  }

  private openIssue(t: number, cause: IssueCause, severity: number, secondFailure: boolean) {
    const r = this.random
    const { serviceLevel } = this.profile
    const k = ++this.tickets
    const issueId = `${this.profile.id}/ticket-${k}`
    const channel = r.weighted({ phone: 0.4, email: 0.35, web: 0.25 })
    const s = round3(severity)
    this.emit(
      t,
      "support-desk",
      "issue.opened",
      `${issueId}/opened`,
      channel,
      { issueId, severity: s },
      { kind: "issue-opened", cause, secondFailure }
    )
    this.feel(t, -(0.5 + s), 1.5)

    const slaHours = s >= 0.6 ? 24 : 72
    const pWell = clamp(0.45 + 0.12 * serviceLevel - 0.25 * (s - 0.5) - (secondFailure ? 0.1 : 0), 0.1, 0.85)
    const pBadly = clamp(0.18 - 0.06 * serviceLevel + 0.12 * (s - 0.5) + (secondFailure ? 0.1 : 0), 0.03, 0.6)
    const recovery = r.weighted({ well: pWell, partly: Math.max(0, 1 - pWell - pBadly), badly: pBadly })
    const hours =
      recovery === "well"
        ? r.between(1, Math.min(20, 0.8 * slaHours))
        : recovery === "partly"
          ? (r.chance(0.85) ? r.between(0.4, 1) : r.between(1.01, 1.4)) * slaHours
          : r.between(1.3, 5) * slaHours
    const quality =
      recovery === "well" ? r.between(0.8, 1) : recovery === "partly" ? r.between(0.3, 0.79) : r.between(0, 0.3)
    const issue: Issue = {
      issueId,
      channel,
      recovery,
      quality: round3(quality),
      withinSla: hours <= slaHours,
      secondFailure
    }

    const firstContact =
      recovery === "well" ? r.between(0.5, 0.9) : recovery === "partly" ? r.between(0, 0.5) : r.between(-0.3, 0.3)
    this.touchpoint(
      t + r.between(2, 45) * 60_000,
      "support-desk",
      `${issueId}/contact-1`,
      channel,
      firstContact,
      "character",
      0.5
    )
    // a badly handled ticket makes the customer chase it
    const chasers = recovery === "badly" ? r.int(1, 3) : recovery === "partly" && r.chance(0.3) ? 1 : 0
    for (let j = 0; j < chasers; j++) {
      const quality = recovery === "badly" ? -r.between(0.3, 0.8) : r.between(-0.2, 0.2)
      const at = t + r.between(0.2, 0.9) * hours * HOUR_MS
      this.schedule(at, (when) =>
        this.touchpoint(when, "support-desk", `${issueId}/contact-${j + 2}`, channel, quality, "competence", 0.5)
      )
    }
    this.schedule(t + hours * HOUR_MS, (at) => this.resolveIssue(at, issue))
  }

  private resolveIssue(t: number, issue: Issue) {
    const r = this.random
    this.emit(
      t,
      "support-desk",
      "issue.resolved",
      `${issue.issueId}/resolved`,
      issue.channel,
      { issueId: issue.issueId, quality: issue.quality, withinSla: issue.withinSla },
      { kind: "issue-resolved", recovery: issue.recovery, withinSla: issue.withinSla }
    )
    this.feel(t, issue.recovery === "well" ? 0.6 : issue.recovery === "partly" ? -0.1 : -0.8, 1.5)
    if (r.chance(0.8 * this.profile.surveyPropensity)) {
      const base = issue.recovery === "well" ? 0.6 : issue.recovery === "partly" ? -0.1 : -0.7
      this.schedule(t + r.between(1, 24) * HOUR_MS, (at) => this.survey(at, "ces", base))
    }
    // rarely the fix fails again: a second failure inside the memory of the first
    if (!issue.secondFailure && r.chance(issue.recovery === "badly" ? 0.14 : 0.06)) {
      const severity = r.between(0.2, 0.8)
      this.schedule(this.atDaytime(t + r.between(3, 30) * DAY_MS), (at) =>
        this.openIssue(at, "repeat-failure", severity, true)
      )
    }
  }

  private npsWave(t: number) {
    const r = this.random
    if (r.chance(this.profile.surveyPropensity)) this.survey(t, "nps", undefined)
    this.schedule(this.atDaytime(t + r.between(60, 120) * DAY_MS), (at) => this.npsWave(at))
  }

  /**
   * A survey answer: the customer's mood (or, for the effort score, how the
   * ticket went) plus their temperament and some noise, on the scale's range.
   */
  private survey(t: number, scale: SurveyScale, base: number | undefined) {
    const r = this.random
    const n = ++this.surveys
    const mood = this.mood(t)
    const latent = clamp(
      (base === undefined ? 0.25 + 1.2 * mood : base + 0.5 * mood) + this.profile.temperament + r.normal(0, 0.22),
      -1,
      1
    )
    const value =
      scale === "csat"
        ? clamp(Math.round(3 + 2 * latent), 1, 5)
        : scale === "nps"
          ? clamp(Math.round(latent >= 0 ? 7 + 3 * latent : 7 + 7 * latent), 0, 10)
          : clamp(Math.round(4 + 3 * latent), 1, 7)
    this.emit(
      t,
      "survey-tool",
      "survey",
      `${this.profile.id}/survey-${n}`,
      r.chance(0.7) ? "email" : "app",
      { scale, value },
      { kind: "survey", scale }
    )
  }
}

/** The valid events of one customer in event-time order, generated lazily. */
export const customerJourney = (profile: CustomerProfile, options: SimulationOptions): Generator<JourneyEvent> =>
  new Journey(profile, options).events()
