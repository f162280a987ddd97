import { biViews, ClickHouse, sqlNumber, sqlQualified, sqlString } from "@xpscore/clickhouse"
import type { ClickHouseTarget } from "@xpscore/config"
import { type DeadLetterEntry, deadLetterInfoOf } from "@xpscore/kafka"
import { DAY_MS } from "@xpscore/scoring"
import { Effect } from "effect"
import { type Bucket, bucketize } from "./histogram.ts"

/** What went in: the records the simulation published. */
export interface ProducedCounts {
  readonly records: number
  readonly events: number
  readonly duplicates: number
  readonly invalid: number
  readonly customers: number
  readonly days: number
  readonly start: string
  readonly end: string
}

export interface DeadLetterReason {
  readonly reason: string
  readonly count: number
  readonly example: string
}

/** A customer whose score moved most over the last days of the data. */
export interface Mover {
  readonly customerId: string
  readonly segment: string | null
  readonly before: number
  readonly latest: number
  readonly change: number
}

export interface TrajectoryPoint {
  readonly tMs: number
  readonly score: number
}

export interface Trajectory {
  readonly customerId: string
  /** why this customer was picked */
  readonly why: string
  /** the score right after each of the customer's records, at the state's latest event time */
  readonly points: ReadonlyArray<TrajectoryPoint>
  /** the score as of the report, decayed from the last state */
  readonly now: TrajectoryPoint
}

export interface BiQuery {
  readonly title: string
  readonly sql: string
}

/** Everything the demo reports, as data: printed as text, written as HTML, or given as JSON. */
export interface DemoReport {
  readonly generatedAt: string
  readonly topics: { readonly interactions: string; readonly scores: string; readonly deadLetters: string }
  readonly clickhouse: { readonly mode: "server" | "embedded"; readonly where: string; readonly database: string }
  readonly produced: ProducedCounts
  readonly scored: {
    readonly scoreRecords: number
    readonly customers: number
    readonly duplicates: number
    readonly late: number
    readonly interactions: number
    readonly modelVersion: string
  }
  readonly deadLetters: { readonly total: number; readonly reasons: ReadonlyArray<DeadLetterReason> }
  readonly distribution: ReadonlyArray<Bucket>
  readonly averageScore: number
  readonly movers: {
    readonly windowDays: number
    readonly rising: ReadonlyArray<Mover>
    readonly falling: ReadonlyArray<Mover>
  }
  readonly trajectories: ReadonlyArray<Trajectory>
  readonly biQueries: ReadonlyArray<BiQuery>
  /** how a BI tool connects, line by line */
  readonly connect: ReadonlyArray<string>
  readonly elapsedMs: number
}

/** The dead letters by `path: rule`, most frequent first, each with one example detail. */
export const deadLetterReasons = (letters: ReadonlyArray<DeadLetterEntry>): ReadonlyArray<DeadLetterReason> => {
  const byReason = new Map<string, { count: number; example: string }>()
  for (const letter of letters) {
    const info = deadLetterInfoOf(letter)
    const reason = info === undefined ? "not an xpscore dead letter" : `${info.path}: ${info.rule}`
    const known = byReason.get(reason)
    if (known !== undefined) known.count++
    else byReason.set(reason, { count: 1, example: info?.detail ?? "" })
  }
  return [...byReason]
    .map(([reason, { count, example }]) => ({ reason, count, example }))
    .sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason))
}

const MOVER_WINDOW_DAYS = 30

/** The SQL a BI user can run next, against the demo's database. */
export const biQueries = (database: string, fallerId: string | undefined): ReadonlyArray<BiQuery> => {
  const view = (name: string) => sqlQualified(database, name).replaceAll("`", "")
  return [
    {
      title: "the twenty customers who feel worst right now",
      sql: `SELECT customer_id, round(score, 1) AS score, last_event_type, last_event_time\nFROM ${view(biViews.currentScores)} ORDER BY score LIMIT 20`
    },
    {
      title: "customers who fell below 'at risk' in the last 7 days of data",
      sql: `SELECT DISTINCT customer_id\nFROM ${view(biViews.scoreCrossings)}\nWHERE threshold_name = 'at risk' AND direction = 'down'\n  AND event_time >= (SELECT max(event_time) FROM ${view(biViews.scoreHistory)}) - INTERVAL 7 DAY`
    },
    {
      title: "negative moments and recoveries per channel and week",
      sql: `SELECT toMonday(day) AS week, channel, sum(events) AS events,\n       sum(negative_moments) AS negative_moments, sum(recoveries) AS recoveries,\n       round(sum(score_sum) / sum(events), 1) AS average_score\nFROM ${view(biViews.dailyRollups)} GROUP BY week, channel ORDER BY week, channel`
    },
    ...(fallerId === undefined
      ? []
      : [
          {
            title: `what each event did to ${fallerId}`,
            sql: `SELECT seq, event_time, event_type, round(previous_score, 1) AS before, round(score, 1) AS after, impression, recovery\nFROM ${view(biViews.scoreHistory)} WHERE customer_id = ${sqlString(fallerId)} ORDER BY seq`
          }
        ])
  ]
}

/** How a BI tool reaches the data: the read-only user on a server; the embedded engine has no endpoint. */
export const connectionHelp = (target: ClickHouseTarget, biPassword: string, localServerUrl: string) => {
  if (target.mode === "embedded") {
    return [
      `The data is in embedded ClickHouse (${target.path}), which has no network endpoint.`,
      "For a BI tool, run the demo on a ClickHouse server and connect as the read-only user bi:",
      `  ./xpscore infra up && CLICKHOUSE_URL=${localServerUrl} ./xpscore demo`,
      `  curl -s '${localServerUrl}/?user=bi&password=${biPassword}' --data-binary "SELECT count() FROM ${target.database}.v_current_scores"`
    ]
  }
  const local = target.url === localServerUrl
  return [
    `Connect as the read-only user bi${local ? ` (password ${biPassword})` : " (see docs/clickhouse.md)"} to ${target.url}, database ${target.database}:`,
    `  jdbc:clickhouse://${target.url.replace(/^https?:\/\//, "")}/${target.database}?user=bi${local ? `&password=${biPassword}` : ""}`,
    `  curl -s '${target.url}/?user=bi${local ? `&password=${biPassword}` : ""}' --data-binary "SELECT count() FROM ${target.database}.v_current_scores"`
  ]
}

type CurrentRow = {
  readonly customer_id: string
  readonly score: number
  readonly as_of_ms: number
  readonly segment: string | null
}

type MoverRow = {
  readonly customer_id: string
  readonly latest: number
  readonly earlier: number
  readonly earlier_records: number
}

/** Reads the report's figures from the demo's database (views only, as a BI tool would). */
export const gatherScores = (database: string) =>
  Effect.gen(function* () {
    const clickhouse = yield* ClickHouse
    const v = (name: string) => sqlQualified(database, name)
    const current = yield* clickhouse.query<CurrentRow>(
      `SELECT customer_id, score, as_of_ms, segment FROM ${v(biViews.currentScores)}`
    )
    const [stats] = yield* clickhouse.query<{
      records: number
      duplicates: number
      late: number
      model_version: string
      last_ms: number
    }>(
      `SELECT count() AS records, countIf(duplicate = 1) AS duplicates, countIf(late = 1) AS late, any(model_version) AS model_version, max(event_time_ms) AS last_ms FROM ${v(biViews.scoreHistory)}`
    )
    const [interactions] = yield* clickhouse.query<{ n: number }>(`SELECT count() AS n FROM ${v(biViews.interactions)}`)
    const lastMs = Number(stats?.last_ms ?? 0)
    const [span] = yield* clickhouse.query<{ first_ms: number }>(
      `SELECT min(event_time_ms) AS first_ms FROM ${v(biViews.scoreHistory)}`
    )
    // the last third of the data, at most a month: a short run still has a "before"
    const windowDays = Math.max(
      1,
      Math.min(MOVER_WINDOW_DAYS, Math.floor((lastMs - Number(span?.first_ms ?? lastMs)) / DAY_MS / 3))
    )
    const cutoffMs = lastMs - windowDays * DAY_MS
    const moverRows = yield* clickhouse.query<MoverRow>(
      `SELECT customer_id, argMax(score, seq) AS latest, argMaxIf(score, seq, event_time_ms < ${sqlNumber(cutoffMs)}) AS earlier, countIf(event_time_ms < ${sqlNumber(cutoffMs)}) AS earlier_records FROM ${v(biViews.scoreHistory)} GROUP BY customer_id`
    )
    const segmentOf = new Map(current.map((row) => [row.customer_id, row.segment]))
    const movers: Array<Mover> = moverRows.map((row) => {
      const before = Number(row.earlier_records) > 0 ? Number(row.earlier) : 50
      return {
        customerId: row.customer_id,
        segment: segmentOf.get(row.customer_id) ?? null,
        before,
        latest: Number(row.latest),
        change: Number(row.latest) - before
      }
    })
    const byChange = [...movers].sort((a, b) => a.change - b.change || a.customerId.localeCompare(b.customerId))
    const falling = byChange.slice(0, 5)
    const rising = byChange
      .slice(-5)
      .reverse()
      .filter((m) => m.change > 0)

    const picked: Array<{ customerId: string; why: string }> = []
    const faller = falling[0]
    if (faller !== undefined) picked.push({ customerId: faller.customerId, why: "the biggest fall" })
    const riser = rising.find((m) => !picked.some((p) => p.customerId === m.customerId))
    if (riser !== undefined) picked.push({ customerId: riser.customerId, why: "the biggest rise" })
    const recoveries = yield* clickhouse.query<{ customer_id: string; paradoxes: number }>(
      `SELECT customer_id, countIf(ifNull(recovery, '') = 'paradox') AS paradoxes, count() AS records FROM ${v(biViews.scoreHistory)} GROUP BY customer_id ORDER BY paradoxes DESC, records DESC, customer_id LIMIT 5`
    )
    const recovered = recoveries.find((row) => !picked.some((p) => p.customerId === row.customer_id))
    if (recovered !== undefined) {
      picked.push({
        customerId: recovered.customer_id,
        why:
          Number(recovered.paradoxes) > 0
            ? "an issue handled so well the customer ended up happier (recovery paradox)"
            : "the busiest customer"
      })
    }
    const historyRows =
      picked.length === 0
        ? []
        : yield* clickhouse.query<{ customer_id: string; t_ref_ms: number; score: number }>(
            `SELECT customer_id, t_ref_ms, score FROM ${v(biViews.scoreHistory)} WHERE customer_id IN (${picked.map((p) => sqlString(p.customerId)).join(", ")}) ORDER BY customer_id, seq`
          )
    const nowOf = new Map(current.map((row) => [row.customer_id, row]))
    const trajectories: Array<Trajectory> = picked.map(({ customerId, why }) => {
      const now = nowOf.get(customerId)
      return {
        customerId,
        why,
        points: historyRows
          .filter((row) => row.customer_id === customerId)
          .map((row) => ({ tMs: Number(row.t_ref_ms), score: Number(row.score) })),
        now: { tMs: Number(now?.as_of_ms ?? lastMs), score: Number(now?.score ?? 50) }
      }
    })
    const scores = current.map((row) => Number(row.score))
    return {
      scored: {
        scoreRecords: Number(stats?.records ?? 0),
        customers: current.length,
        duplicates: Number(stats?.duplicates ?? 0),
        late: Number(stats?.late ?? 0),
        interactions: Number(interactions?.n ?? 0),
        modelVersion: stats?.model_version ?? ""
      },
      distribution: bucketize(scores, { min: 0, max: 100, buckets: 10 }),
      averageScore: scores.length === 0 ? 50 : scores.reduce((a, b) => a + b, 0) / scores.length,
      movers: { windowDays, rising, falling },
      trajectories,
      faller: faller?.customerId
    }
  })
