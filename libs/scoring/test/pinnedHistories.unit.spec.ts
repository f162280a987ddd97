import { describe, expect, it } from "vitest"
import {
  applyInto,
  type CustomerState,
  componentsOf,
  defaultParams,
  deserializeState,
  emptyState,
  explain,
  type ModelEvent,
  newOutcome,
  type Params,
  parseParams,
  scoreAt,
  serializeState
} from "../src/index.ts"
import { DAY, HOUR, T0 } from "./builders.ts"

/*
 * Long, messy, seeded histories whose results are pinned bit for bit: the
 * final components, the counters, and digests of every outcome, of the
 * components after every event and of an explanation. They were recorded
 * from the implementation before its performance work; any change of the
 * state's layout, of the buffer or of the dedup memory must leave every one
 * of these bits alone (the model version id promises the same scores for the
 * same events and parameters).
 */

/** mulberry32: the same sequence on every machine. */
const seeded = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** 64-bit FNV-1a over text, as 16 hex digits (BigInt: slow, but independent of the code under test). */
const digest = (text: string): string => {
  let h = 0xcbf29ce484222325n
  for (let i = 0; i < text.length; i++) {
    h ^= BigInt(text.charCodeAt(i))
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn
  }
  return h.toString(16).padStart(16, "0")
}

const bitsView = new DataView(new ArrayBuffer(8))
/** A double's exact bits, as 16 hex digits (−0, NaN and the last ulp included). */
const bits = (x: number | undefined): string => {
  if (x === undefined) return "u"
  bitsView.setFloat64(0, x)
  return bitsView.getBigUint64(0).toString(16).padStart(16, "0")
}

interface Scenario {
  readonly name: string
  readonly seed: number
  readonly events: number
  readonly spanDays: number
  readonly params: Params
}

const paramsWith = (changes: Record<string, number>): Params => {
  const parsed = parseParams(changes)
  if (!parsed.ok) throw new Error(parsed.errors.join("; "))
  return parsed.params
}

const sources = ["/app", "/checkout", "/support-desk", "/survey-tool", "/delivery"] as const
const dimensions = ["delivery-speed", "price", "support", "app-quality", "returns"] as const

/**
 * One customer's history in arrival order: sessions of events (ties in time
 * included), every kind, issues resolved before and after their opening,
 * orphans and repeated openings, arrivals re-ordered inside the allowed
 * lateness, late beyond it, and duplicates shortly and days after the
 * original.
 */
const arrivals = (scenario: Scenario): Array<ModelEvent> => {
  const random = seeded(scenario.seed)
  const pick = <A>(items: ReadonlyArray<A>): A => items[Math.floor(random() * items.length)]!
  const hex = (digits: number) => {
    let out = ""
    for (let i = 0; i < digits; i++) out += "0123456789abcdef"[Math.floor(random() * 16)]
    return out
  }
  const uuid = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${hex(4)}-${hex(12)}`
  const span = scenario.spanDays * DAY
  const timed: Array<{ event: ModelEvent; arrival: number }> = []
  let t = T0
  let issue = 0
  for (let k = 0; k < scenario.events; k++) {
    // Sessions: most events minutes apart, some hours or days, a few at the very same millisecond.
    const gap = random()
    if (gap < 0.05) t += 0
    else if (gap < 0.7) t += Math.floor(random() * 20 * 60_000)
    else if (gap < 0.95) t += Math.floor(random() * 6 * HOUR)
    else t += Math.floor((random() * span * 20) / scenario.events)
    const id = random() < 0.1 ? `ev-${hex(2)}` : uuid()
    const source = pick(sources)
    const kind = random()
    let event: ModelEvent
    if (kind < 0.3) {
      event = { kind: "touchpoint", id, source, t, quality: Math.round((random() * 2 - 1) * 100) / 100 }
    } else if (kind < 0.6) {
      event = {
        kind: "expectation",
        id,
        source,
        t,
        dimension: pick(dimensions),
        expected: Math.round(random() * 100) / 100,
        actual: random() < 0.5 ? random() : Math.round(random() * 100) / 100,
        negotiated: random() < 0.3
      }
    } else if (kind < 0.75) {
      const scale = pick(["csat", "nps", "ces"] as const)
      const max = scale === "csat" ? 5 : scale === "nps" ? 10 : 7
      const min = scale === "nps" ? 0 : 1
      event = { kind: "survey", id, source, t, scale, value: min + Math.floor(random() * (max - min + 1)) }
    } else if (kind < 0.88) {
      // Mostly new issues, sometimes an id that is (or was) open again.
      if (random() < 0.85) issue++
      event = { kind: "issueOpened", id, source, t, issueId: `issue-${issue}`, severity: 0.01 + random() * 0.99 }
    } else {
      const target = Math.max(1, issue - Math.floor(random() * 3))
      event = {
        kind: "issueResolved",
        id,
        source,
        t,
        issueId: random() < 0.05 ? `never-opened-${hex(2)}` : `issue-${target}`,
        quality: random() < 0.5 ? random() : Math.round(random() * 10) / 10,
        withinSla: random() < 0.7
      }
    }
    const delay = random()
    const lateness = scenario.params.allowedLatenessHours * HOUR
    let arrival = t
    if (delay < 0.12) arrival = t + random() * lateness * 0.9
    else if (delay < 0.17) arrival = t + lateness * (1.05 + random() * 8)
    timed.push({ event, arrival })
    const again = random()
    if (again < 0.02) timed.push({ event: { ...event }, arrival: arrival + random() * HOUR })
    else if (again < 0.04) timed.push({ event: { ...event }, arrival: arrival + random() * 9 * DAY })
  }
  // A stable sort: equal arrival keys keep their generation order.
  return timed
    .map((x, i) => ({ ...x, i }))
    .sort((a, b) => a.arrival - b.arrival || a.i - b.i)
    .map((x) => x.event)
}

interface Pinned {
  readonly components: ReadonlyArray<string>
  readonly counters: ReadonlyArray<number>
  readonly outcomes: string
  readonly trajectory: string
  readonly score: string
  readonly explanation: string
}

interface Run {
  readonly pinned: Pinned
  /** Per event: its outcome and the components after it. */
  readonly steps: ReadonlyArray<string>
  readonly state: CustomerState
}

/** Applies the scenario's arrivals from `from` on to `state` (by default all of them, to a new state). */
const run = (scenario: Scenario, state: CustomerState = emptyState(), from = 0, to = Number.POSITIVE_INFINITY): Run => {
  const p = scenario.params
  const out = newOutcome()
  let outcomes = ""
  let trajectory = ""
  const steps: Array<string> = []
  const events = arrivals(scenario)
  for (let i = from; i < Math.min(to, events.length); i++) {
    applyInto(state, events[i]!, p, out)
    const outcome = `${out.seq},${out.applied ? 1 : 0}${out.duplicate ? 1 : 0}${out.late ? 1 : 0}${out.reordered ? 1 : 0}${out.orphanResolution ? 1 : 0}${out.repeatedOpening ? 1 : 0},${bits(out.v)},${out.recovery ?? "-"};`
    const c = componentsOf(state, p)
    const components = `${bits(c.tRefMs)}${bits(c.sPos)}${bits(c.sNeg)}${bits(c.w)}${bits(c.pPos)}${bits(c.pNeg)}${bits(c.lastTMs)}${bits(c.lastV)};`
    outcomes += outcome
    trajectory += components
    steps.push(outcome + components)
  }
  const c = componentsOf(state, p)
  const later = c.tRefMs + 3 * DAY
  const e = explain(state, later, p, 1000)
  const explanation = [
    bits(e.index),
    bits(e.score),
    bits(e.rest),
    ...e.contributors.map(
      (x) =>
        `${x.id ?? "-"}|${x.source ?? "-"}|${x.kind}|${x.tMs}|${bits(x.v)}|${bits(x.weight)}|${bits(x.contribution)}`
    )
  ].join(";")
  return {
    pinned: {
      components: [c.tRefMs, c.sPos, c.sNeg, c.w, c.pPos, c.pNeg, c.lastTMs, c.lastV].map(bits),
      counters: [state.seq, state.events, state.late, state.duplicates, state.reordered, state.orphanResolutions],
      outcomes: digest(outcomes),
      trajectory: digest(trajectory),
      score: bits(scoreAt(state, c.tRefMs + 30 * DAY, p)),
      explanation: digest(explanation)
    },
    steps,
    state
  }
}

const scenarios: ReadonlyArray<Scenario> = [
  { name: "a year of sessions, defaults", seed: 11, events: 3000, spanDays: 365, params: defaultParams },
  { name: "three weeks of dense traffic, defaults", seed: 23, events: 3000, spanDays: 21, params: defaultParams },
  {
    name: "small caps and horizons",
    seed: 37,
    events: 3000,
    spanDays: 60,
    params: paramsWith({ bufferCap: 4, dedupCap: 8, dedupHorizonHours: 48, allowedLatenessHours: 6 })
  },
  {
    name: "half-lives that are not 1:2",
    seed: 53,
    events: 2000,
    spanDays: 200,
    params: paramsWith({ hPosDays: 20, hNegDays: 50, hFailDays: 90, dedupCap: 0 })
  },
  { name: "a short week", seed: 71, events: 90, spanDays: 6, params: defaultParams }
]

/** Recorded before the performance work (commit 3e6a6f2); never regenerate them to make a change pass. */
const expected: Record<string, Pinned> = {
  "a year of sessions, defaults": {
    components: [
      "42791cfd1b478000",
      "405d82a15a171a78",
      "c07c1c0e07b78dab",
      "408e72053c4c5bba",
      "3fed7b9d96a384d3",
      "c0046724eee13e8a",
      "42791cfd1b478000",
      "3fb47ae147ae147b"
    ],
    counters: [3139, 3030, 175, 109, 381, 150],
    outcomes: "8a08d48151f86001",
    trajectory: "f5f8318019d21d8d",
    score: "4039503f628f9a71",
    explanation: "d40d4fad804d2a17"
  },
  "three weeks of dense traffic, defaults": {
    components: [
      "4278e3f81af09000",
      "4068e81861efd1a8",
      "c0892e50b704da43",
      "409a161e2913cbb7",
      "3fee1733caa71c13",
      "c002d8e86512517d",
      "4278e3f81af09000",
      "bff18aca47d7c396"
    ],
    counters: [3124, 3039, 184, 85, 366, 164],
    outcomes: "4e4629ccfb5cfec6",
    trajectory: "2b2659583d9ab87f",
    score: "4030a9fae7a03e36",
    explanation: "69b2f4be286c670a"
  },
  "small caps and horizons": {
    components: [
      "4278ea07302e8000",
      "4065cb29626c1cb3",
      "c086c559b5d3d800",
      "4097846621808bd0",
      "3fefbfd190c01ef5",
      "c002a69f334aa080",
      "4278ea07302e8000",
      "3fec1d330ee9040c"
    ],
    counters: [3106, 3044, 306, 62, 180, 168],
    outcomes: "1073c7cd94de239f",
    trajectory: "2d5e6a526d9e955a",
    score: "403d110d136ca1d1",
    explanation: "f73dad9a54509c83"
  },
  "half-lives that are not 1:2": {
    components: [
      "4278f2f26b928000",
      "4051fd63fa302dd3",
      "c076d7a93abd6b06",
      "4087f47030f0212e",
      "3fefde3a361899f4",
      "c002dfb6116d17e9",
      "4278f2f26b928000",
      "bffa8f5c28f5c28f"
    ],
    counters: [2091, 2046, 155, 45, 271, 100],
    outcomes: "ff6268751278234f",
    trajectory: "b2d6067649e0a872",
    score: "402a898074d0aad8",
    explanation: "4ef53df64882506a"
  },
  "a short week": {
    components: [
      "4278bf915c2a4000",
      "4030e92bff2d7a0d",
      "c046a72a7bf598e2",
      "405577a175319efb",
      "3fec54cc2e33a219",
      "c0035fd067c354b2",
      "4278bf915c2a4000",
      "bffef57fb941816e"
    ],
    counters: [94, 90, 5, 4, 11, 4],
    outcomes: "744720321a6f3dba",
    trajectory: "03840f9ed7707cf4",
    score: "4026bf87c760c2bc",
    explanation: "78c10933ddfbf925"
  }
}

/**
 * Changelog records of state version 1 (written by commit 3e6a6f2): the
 * state of a scenario after its first `CUT` arrivals. A restored old record
 * must continue exactly like the uninterrupted fold.
 */
const CUT = 60
const version1Records: Record<string, string> = {
  "small caps and horizons": [
    "AQE8PAgABQG8jK/N+2IkAcrJ/s/7YgLtss54raAqQAKcGyEAmC8+wAIQlOi9TBNQQAKSfUzQ0DbuPwLPpZs7wUQHwAGI2ZiD",
    "+mIBhvHZmvtiAQgBBgHKyf7P+2ICTugxGoP28L8BBAKSK5NV+ucTQAHKyf7P+2IBCAEIAQQB6rf+2frOvAECnulqcXqs4T8B",
    "xJ/1nNXO2hUCw3xjIp8U4D8B5prrhIGh6wICVHxgWTcn4j8BmtSlk8jh4woCMzPzHb6K3j8BuOqqwqHLgQMBzM+QpfpiAs3M",
    "XG3bT+E/AAIC0zzc66LyvwHS79W7haTKGwHKyf7P+2ICmpnp0vAc3z8CI1cmq/TPD0ACTugxGoP28L8kAbyMr837YgLMq8Jw",
    "sKUqQAI9m9j2ae87wAJ6WQpSDilPQAK/F9GVgDzuPwJk6eSw8UYHwAGI2ZiD+mIBhvHZmvtiAQgBBgG8jK/N+2IAAQgCS/KF",
    "TqbaD0ABzsD0s/tiAQYBCAEEAeq3/tn6zrwBAp7panF6rOE/AcSf9ZzVztoVAgN4o2FujuA/Aeaa64SBoesCAlR8YFk3J+I/",
    "AZrUpZPI4eMKAjMz8x2+it4/AbjqqsKhy4EDAczPkKX6YgLNzFxt20/hPwACAtM83Oui8r8BiN2M46+YjxMBzsD0s/tiAmZm",
    "dhnNUOc/AkvyhU6m2gdAAr56VIPwN/i/GAHSo/XN+2IBFgIAAADDWvnGPwAB0pTyv4Sl7R8BjKPu6/vjtxsByKnvzvtiAQIC",
    "exSuR+F6lD8CKVyPwvUozD8B1OGl2aLFvxgBxJ/1nNXO2hUB1IPCz/tiAQYCAAAAXkCyoj8AAc79yq3Fw8cMAYjdjOOvmI8T",
    "AcrJ/s/7YgEEApqZ6dLwHN8/AAGK9JOZ1oCyBgHS79W7haTKGwgkZGE5NDFmMGUtZWJiNC00MTE0LTUyOTEtMDU3YWQwMzAz",
    "YTFiCS9kZWxpdmVyeSQyOThkOWQ0Zi1hZmViLTRhZGEtMzRlZi05M2ZjNWY5NjZiNDkJL2NoZWNrb3V0JDI5NTc0OWViLTdj",
    "MTgtNDhmZi0zYzllLTg0MTM4ZWZlMDcwMwwvc3VydmV5LXRvb2wkOTA4ODUyMmYtYTU4Yy00NzZhLTAyMmUtOThiNDM5YjVk",
    "MWRhCS9kZWxpdmVyeRAB/PSjovtiAdbk0Miq7NwMAfS8uaL7YgHytNDe69+qAwHKi7qz+2IBlNuU2tL2tAUBzsD0s/tiAbj8",
    "256234ISAeKJqMP7YgHelLK2n524EAGa4YPE+2IB5pHg97fztAIBoOfDzPtiAcqloYuHttwMAbyMr837YgGcxf7o/fDGHA=="
  ].join(""),
  "a short week": [
    "AQE8OQADCAGmtbbx+2JOAYbgxd78YgIM3rW5ddYnQAI3I/QYMQFBwAKWuG2nOMdMQAIziyiiaODuPwLQRoUI0zkEwAHur9zL",
    "/GIB+sbujPpiAAEGAYbgxd78YgKSfvGSKNbcvwEEAg1RMSNz2ydAAYbgxd78YgECAQoBFAGa1KWTyOHjCgItrabUa9XjPwHE",
    "n/Wc1c7aFQKV1DnWBCbfPwHqt/7Z+s68AQLUCWgibHjfPwHmmuuEgaHrAgKSOkEu3QHkPwGyna2lgtWyBgJI4XoUrkfhPwG4",
    "zILpn9n8GgHul4SY+2ICexRW7nI67T8CBrQnFu3Y/z8CiP6odT2M/b8BjKPu6/vjtxsB7rfM4/tiAo/CrSilCOo/AhUJLG/f",
    "1gdAAvgBSWy6r/q/AYjdjOOvmI8TAczG+eP7YgJmZuaoZCzZPwJxljQQvdYPQAITyL4p7ifsvwHS79W7haTKGwHEnpjk+2IC",
    "XI/i2Q0e4j8CKN+950/rE0ACnFgvjbhl878BqPCf0Pfw1w8BuoOa8PtiAkjhOpgV6s8/AlV59QLg5xdAAl/FN7j02eK/AcLJ",
    "yvrF4IMPAYie8/D7YgJSuNaqDlzmPwI9uglypOcbQAKMEP1mqlf3vwHS6oeowO63GwGmtbbx+2IC4Xp8eQwM6D8CIXN5KHHn",
    "H0ACOjvHosfi+L8Brozauc6npQsB5JLqy/xiAoXrQRhJTO0/AqYSF1NY4CFAAsya1QYbnP2/Ad6PhJSopokZAcTh78v8YgLs",
    "UXj26YTGPwLj6GinVeAjQALMExamhr3bvwGG2LfH9+bhGgGG4MXe/GIC9ihcgHuIxz8CDVExI3PbJUACkn7xkijW3L8/Aaa1",
    "tvH7YgLUTshXD18mQAKdOSltdbk8wALroxqwMGxJQAKmz6GzJCzvPwL0Bv0rpokEwAHi9v2T+2IB+sbujPpiAUgBBgGmtbbx",
    "+2ICOjvHosfi+L8BBAKQuTyUuPMhQAGmtbbx+2IBAgEKAQ4BmtSlk8jh4woCLa2m1GvV4z8BxJ/1nNXO2hUCldQ51gQm3z8B",
    "6rf+2frOvAEC1AloImx43z8B5prrhIGh6wICN4mBayIf4j8Bsp2tpYLVsgYCSOF6FK5H4T8BuMyC6Z/Z/BoB7peEmPtiAnsU",
    "Vu5yOu0/Aga0Jxbt2P8/Aoj+qHU9jP2/AYyj7uv747cbAe63zOP7YgKPwq0opQjqPwIVCSxv39YHQAL4AUlsuq/6vwGI3Yzj",
    "r5iPEwHMxvnj+2ICZmbmqGQs2T8CcZY0EL3WD0ACE8i+Ke4n7L8B0u/Vu4WkyhsBxJ6Y5PtiAlyP4tkNHuI/AijfvedP6xNA",
    "ApxYL424ZfO/Aajwn9D38NcPAbqDmvD7YgJI4TqYFerPPwJVefUC4OcXQAJfxTe49NnivwHCycr6xeCDDwGInvPw+2ICUrjW",
    "qg5c5j8CPboJcqTnG0ACjBD9ZqpX978B0uqHqMDutxsBprW28ftiAuF6fHkMDOg/AiFzeShx5x9AAjo7x6LH4vi/JAHur9zL",
    "/GIBAgJI4XoUrkfhPwIAAEA5yIzrPwHkqOu8oc6TAwHmmuuEgaHrAgHur9zL/GIAAgrXo3A9Cu8/AAG+/oDQ7erEGQAB5JLq",
    "y/xiAQQChetBGElM7T8AAbjmzqzEtJ4LAa6M2rnOp6ULAcTh78v8YgEEAuxRePbphMY/AAHU7KWgpsmgGAHej4SUqKaJGQHO",
    "k6XM/GIBKAAAAb7gjcWn+NsCAAGG4MXe/GIBBAL2KFyAe4jHPwAB7ub5zfiDnx8Bhti3x/fm4RoMJDEzMDI4MWUyLTRkMmQt",
    "NDU1Zi1hNjM3LTMwZjg1Y2Y0MTQ5NQkvZGVsaXZlcnkFZXYtZDMML3N1cnZleS10b29sJGRmOTc4YTdkLTMyNTktNDM5Ny1i",
    "ZTcwLTBmYWZjOGRhNjE2YgkvZGVsaXZlcnkkOTEwYjRhMDctZTBiNi00ZmM5LWRmMWUtYmI2ZTZlNTgyMzVmDS9zdXBwb3J0",
    "LWRlc2skYjAzYjI0YWMtN2MzNC00NDg4LWVjZDgtNTMwMjE2MDIyNTU2CS9kZWxpdmVyeSQwMzRjOWM0ZC1iMDY5LTQ3YTgt",
    "M2IxMy1mNjdlYWYzOWIzYjkNL3N1cHBvcnQtZGVza2YBwIvQgfpiAbLF0pXM2I0VAbrOgIL6YgHMjeGyxdHLFwGg+8+L+mIB",
    "vuPG4ISXtwUBlM/1i/piAa77rcnR9JUGAfrG7oz6YgH+kOuazPj0BwHyk7fg+mIBgr6U9fK0qgQB8vG54PpiAdb0hMGSmaET",
    "AZqXrOH6YgHskorat9HTFwGOvOzm+mIBmt6OgdmNyQMBjrzs5vpiAaL5hMyoh7MUAeTP/ef6YgHa3PDdleb4EAHkz/3n+mIB",
    "tuSe487NwxYBzo/y6PpiAfCitIb8yPoKAb7xk+n6YgHwhPfmzY61HwHyxJbq+mIB1Jyv7cqi0RkB/Kef6vpiAdSJqtmNn7YD",
    "AeyF/u36YgH8/ZK76779AgHM44v2+mIB3Iay9fa00h8Birbw/vpiAdaeyZyQsP8OAYislpP7YgGoxYHj9NGPGwGCxsiT+2IB",
    "rrz3mtvotQ8B4vb9k/tiAYCNlqX3/p8NAcTP3pT7YgHEuOSB3IfpGQHEz96U+2IB1JzRnL294QoB4P2HlftiAfiFzYPI0okT",
    "Ae6XhJj7YgHCiZyHx7z8AgHOkLym+2IB7Onxk+m8qwYB6IjQrftiAa6RyMPLoaEdAeCIm7P7YgG6vt615faeDgG8pMiz+2IB",
    "7KLOuJfhnQ8B5sCRtPtiAYyT+cyz5PkTAebAkbT7YgGckJKYl+3TCAGYsqS++2IBgJSMk+HOxRUBgrycv/tiAcrC3+Lci44F",
    "AaCf6sX7YgG4p+WQk4fyBwHU9KLH+2IB6OmNkozr7xEBoOXux/tiAfTF34T1zYkPAcrSy8j7YgGe25u/hcn7EQHuu6PJ+2IB",
    "iLeU4a3P1AQBiK2yzftiAaSq3/Pg7vkfAbja/uD7YgHYr4SN/NrlGQHshNnh+2IBosDug5GpjwoB1OfR4vtiAe6skfWMur8H",
    "Acqdr+P7YgHS/r3w+NP4BQHut8zj+2IBtPP7io3tgxcBzMb54/tiAfznk+KE+OgMAcSemOT7YgHc0c7R/vabFgGO8aLv+2IB",
    "3LKQt76XnB4BuoOa8PtiAbbjnp2v84AXAYie8/D7YgH2gcKY8Jy6GQGmtbbx+2IB0pHBuZum/wY="
  ].join("")
}

describe("pinned histories: the same events and parameters give the same bits", () => {
  for (const scenario of scenarios) {
    it(`given ${scenario.name} (seed ${scenario.seed}), then every outcome, component and explanation is unchanged`, () => {
      expect(run(scenario).pinned).toEqual(expected[scenario.name])
    })
  }

  for (const [name, record] of Object.entries(version1Records)) {
    it(`given a version 1 changelog record of ${name}, when restored and the rest follows, then it continues bit-identically`, () => {
      const scenario = scenarios.find((s) => s.name === name)!
      const restored = deserializeState(new Uint8Array(Buffer.from(record, "base64")))
      const resumed = run(scenario, restored, CUT)
      const whole = run(scenario)
      expect(resumed.steps).toEqual(whole.steps.slice(CUT))
      expect(resumed.pinned.components).toEqual(expected[name]!.components)
      expect(resumed.pinned.counters).toEqual(expected[name]!.counters)
      expect(resumed.pinned.score).toEqual(expected[name]!.score)
      expect(resumed.pinned.explanation).toEqual(expected[name]!.explanation)
      // Written again, it reads back to a state that continues the same way.
      const again = run(
        scenario,
        deserializeState(serializeState(deserializeState(new Uint8Array(Buffer.from(record, "base64"))))),
        CUT
      )
      expect(again.steps).toEqual(whole.steps.slice(CUT))
    })
  }
})
