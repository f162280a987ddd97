import { seededRandom } from "./seededRandom.ts"
import { DAY_MS, type SimulationOptions } from "./simulationOptions.ts"

export const segments = ["consumer", "smb", "enterprise"] as const
export type Segment = (typeof segments)[number]

export const channels = ["web", "app", "phone", "email", "store"] as const
export type Channel = (typeof channels)[number]

/** Who a simulated customer is: what drives how often things happen to them and how they answer surveys. */
export interface CustomerProfile {
  readonly index: number
  readonly id: string
  readonly segment: Segment
  /** where this customer usually orders */
  readonly preferredChannel: Channel
  /** before this, the customer does nothing (a fifth join during the window) */
  readonly activeFromMs: number
  readonly meanDaysBetweenOrders: number
  readonly sessionsPerDay: number
  /**
   * How well service treats this customer, standard normal (region,
   * carrier, account team): above 0 fewer late deliveries and better
   * recoveries, below 0 more of both.
   */
  readonly serviceLevel: number
  /** added to every survey answer: some people answer generously, some harshly */
  readonly temperament: number
  /** how likely the customer is to answer a survey */
  readonly surveyPropensity: number
}

/** Stream ids of {@link seededRandom}: one per purpose, so that purposes do not disturb each other. */
export const Streams = { profile: 1, journey: 2, arrival: 3 } as const

const orderIntervalDays: Record<Segment, number> = { consumer: 16, smb: 8, enterprise: 4 }
const sessionsPerDay: Record<Segment, number> = { consumer: 0.12, smb: 0.15, enterprise: 0.1 }

export const customerId = (options: Pick<SimulationOptions, "customerIdPrefix">, index: number) =>
  `${options.customerIdPrefix}${String(index + 1).padStart(5, "0")}`

/** The profile of customer `index` (from 0): a function of the seed and the index only. */
export const customerProfile = (
  options: Pick<SimulationOptions, "seed" | "startMs" | "days" | "customerIdPrefix">,
  index: number
): CustomerProfile => {
  const random = seededRandom(options.seed, Streams.profile, index)
  const segment = random.weighted({ consumer: 0.7, smb: 0.22, enterprise: 0.08 })
  const preferredChannel =
    segment === "enterprise"
      ? random.weighted({ web: 0.5, phone: 0.3, email: 0.2, app: 0, store: 0 })
      : random.weighted({ web: 0.42, app: 0.4, phone: 0.08, store: 0.08, email: 0.02 })
  const joinsLater = random.chance(0.2)
  const joinOffset = random.next()
  const activeFromMs = options.startMs + (joinsLater ? Math.floor(joinOffset * options.days * DAY_MS) : 0)
  // log-normal spread around the segment's typical cadence
  const activity = Math.exp(random.normal(0, 0.45))
  return {
    index,
    id: customerId(options, index),
    segment,
    preferredChannel,
    activeFromMs,
    meanDaysBetweenOrders: orderIntervalDays[segment] / activity,
    sessionsPerDay: sessionsPerDay[segment] * activity,
    serviceLevel: random.normal(0, 1),
    temperament: random.normal(0, 0.15),
    surveyPropensity: random.between(0.15, 0.65)
  }
}
