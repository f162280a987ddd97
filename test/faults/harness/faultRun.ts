import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { biViews, ClickHouse, type Row, sqlQualified } from "@xpscore/clickhouse"
import { readDeadLetter } from "@xpscore/events"
import { ensureTopics, headersAsText, makeKafka, type TopicNames, topicNames, topicSpecs } from "@xpscore/kafka"
import { Effect, ManagedRuntime } from "effect"
import { type Admin, type Kafka, type KafkaMessage, Partitioners } from "kafkajs"
import { inject } from "vitest"
import { readAll, type ServiceProcess, scorerGroup, startScorer, startService } from "../../e2e/scorerProcess.ts"
import { serverTarget, testInfra, uniqueSuffix } from "../../harness/index.ts"
import "./faultContext.ts"
import { type PlannedRecord, recordIdentity } from "./inputRecords.ts"
import { recordSummaryRow } from "./summaryTable.ts"
import {
  type ClickHouseContents,
  type DeadLetterRecord,
  type Expectation,
  type InputRecord,
  judge,
  type ReferenceScore,
  type ScoredRecord,
  type Verdict
} from "./verdict.ts"

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url))

/** The settings every scenario's scorer runs with unless it says otherwise: small transactions, many of them. */
export const scorerDefaults = {
  XPSCORE_SCORER_MAX_BATCH_RECORDS: "200",
  XPSCORE_SCORER_FETCH_MAX_BYTES_PER_PARTITION: "262144"
} as const

/** The projector's: short batches, quick retries (ClickHouse outages are tens of seconds here, not hours). */
export const projectorDefaults = {
  XPSCORE_PROJECTOR_BATCH_ROWS: "1000",
  XPSCORE_PROJECTOR_BATCH_MS: "300",
  XPSCORE_PROJECTOR_RETRY_BASE_MS: "200",
  XPSCORE_PROJECTOR_RETRY_MAX_MS: "2000"
} as const

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Polls `check` until it holds. A check that throws counts as "not yet": the
 * broker or server it asks may be the one a scenario is restarting (a group
 * coordinator that moved, a refused connection); the last error is reported
 * if the time runs out.
 */
export const eventuallyTrue = async (check: () => Promise<boolean>, what: string, timeoutMs = 120_000) => {
  const started = Date.now()
  let lastError: unknown
  while (true) {
    try {
      if (await check()) return
    } catch (error) {
      lastError = error
    }
    if (Date.now() - started > timeoutMs) {
      const cause = lastError === undefined ? "" : ` (last error: ${(lastError as Error).message ?? lastError})`
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`)
    }
    await sleep(100)
  }
}

/** `operation`, tried again for up to `timeoutMs` while it fails (see {@link eventuallyTrue}). */
export const retrying = async <A>(operation: () => Promise<A>, what: string, timeoutMs = 60_000): Promise<A> => {
  let result: { readonly value: A } | undefined
  await eventuallyTrue(
    async () => {
      result = { value: await operation() }
      return true
    },
    what,
    timeoutMs
  )
  return result!.value
}

export interface PublishOptions {
  /** records per second (default: as fast as the broker takes them) */
  readonly ratePerSecond?: number
}

/**
 * One scenario: its own topics (prefix) on the suite's broker and its own
 * ClickHouse database, the real processes it starts, the records it
 * publishes, the faults it injects and what it measured, and in the end the
 * comparison with the crash-free reference and a line of the summary table.
 */
export class FaultRun {
  readonly kafka: Kafka
  readonly admin: Admin
  readonly scorerGroup: string
  readonly projectorGroup: string
  readonly database: string
  /** what was injected, as the summary table shows it */
  readonly faults: Array<string> = []
  /** how long the pipeline took to commit progress again after each fault */
  readonly recoveries: Array<{ readonly what: string; readonly ms: number }> = []
  private readonly processes: Array<ServiceProcess> = []
  private readonly expectations = new Map<string, Expectation>()
  private projectorStarted = false
  private readonly startedAtMs = Date.now()
  private readonly logsFolder: string

  readonly scenario: string
  readonly topics: TopicNames

  private constructor(scenario: string, topics: TopicNames, kafka: Kafka, admin: Admin) {
    this.scenario = scenario
    this.topics = topics
    this.kafka = kafka
    this.admin = admin
    this.scorerGroup = scorerGroup(topics)
    this.projectorGroup = `${this.prefix}projector`
    this.database = `faults_${this.prefix.replace(/[^A-Za-z0-9_]/g, "_")}`
    this.logsFolder = path.join(
      inject("faultInfra").home,
      "logs",
      `${scenario.replace(/[^A-Za-z0-9]+/g, "-")}-${this.prefix.replace(/\W/g, "")}`
    )
    fs.mkdirSync(this.logsFolder, { recursive: true })
  }

  static async create(
    scenario: string,
    options: { readonly partitions?: number; readonly interactionsConfig?: Readonly<Record<string, string>> } = {}
  ): Promise<FaultRun> {
    const kafka = makeKafka({ clientId: "faults", brokers: testInfra().kafkaBrokers.split(",") })
    const admin = kafka.admin()
    await admin.connect()
    const topics = topicNames(`f${uniqueSuffix()}.`)
    const specs = topicSpecs({ names: topics, partitions: options.partitions ?? 6, replicationFactor: 1 }).map(
      (spec) =>
        spec.name === topics.interactions
          ? { ...spec, configEntries: { ...spec.configEntries, ...options.interactionsConfig } }
          : spec
    )
    await Effect.runPromise(ensureTopics(kafka, specs))
    return new FaultRun(scenario, topics, kafka, admin)
  }

  get prefix() {
    return this.topics.interactions.replace(/interactions$/, "")
  }

  /** `./xpscore run scorer` on this run's topics. */
  async scorer(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const started = await startScorer(this.topics, { ...scorerDefaults, ...env })
    this.processes.push(started)
    return started
  }

  /** `./xpscore run projector` on this run's topics into this run's database (directly, or through `clickhouseUrl`). */
  async projector(
    env: Record<string, string> = {},
    clickhouseUrl = testInfra().clickhouseUrl
  ): Promise<ServiceProcess> {
    const started = await startService("projector", this.topics, {
      CLICKHOUSE_URL: clickhouseUrl,
      XPSCORE_CLICKHOUSE_DATABASE: this.database,
      XPSCORE_PROJECTOR_GROUP_ID: this.projectorGroup,
      ...projectorDefaults,
      ...env
    })
    this.projectorStarted = true
    this.processes.push(started)
    return started
  }

  /** Remembers what each record must become, so that it is recognised when read back. */
  plan(records: ReadonlyArray<PlannedRecord>) {
    for (const record of records) this.expectations.set(recordIdentity(record.key, record.value), record.expectation)
  }

  /**
   * Publishes the records in order (keyed: murmur2 of the key picks the
   * partition, as the SDK does), at a rate. A send the broker refuses (it is
   * restarting) is sent again: what is on the topic afterwards, not what was
   * meant to be, is the input the verdict reads back.
   */
  async publish(records: ReadonlyArray<PlannedRecord>, options: PublishOptions = {}): Promise<void> {
    this.plan(records)
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner
    })
    await producer.connect()
    try {
      const startedAtMs = Date.now()
      let sent = 0
      let chunk: Array<PlannedRecord> = []
      let chunkBytes = 0
      const flush = async () => {
        if (chunk.length === 0) return
        const messages = chunk.map((record) => ({
          key: record.key,
          value: Buffer.from(record.value),
          headers: { ...record.headers }
        }))
        for (let attempt = 1; ; attempt++) {
          try {
            await producer.send({ topic: this.topics.interactions, acks: -1, messages })
            break
          } catch (error) {
            if (attempt >= 60) throw error
            await sleep(1000)
          }
        }
        sent += chunk.length
        chunk = []
        chunkBytes = 0
        if (options.ratePerSecond !== undefined) {
          const dueMs = startedAtMs + (sent / options.ratePerSecond) * 1000
          if (dueMs > Date.now()) await sleep(dueMs - Date.now())
        }
      }
      const perChunk = options.ratePerSecond === undefined ? 2000 : Math.max(1, Math.round(options.ratePerSecond / 10))
      for (const record of records) {
        if (chunkBytes + record.value.length > 512 * 1024) await flush()
        chunk.push(record)
        chunkBytes += record.value.length
        if (chunk.length >= perChunk) await flush()
      }
      await flush()
    } finally {
      await producer.disconnect()
    }
  }

  /** Records the group has committed, summed over the topics' partitions. */
  async committed(group: string, topics: ReadonlyArray<string>): Promise<number> {
    const entries = await retrying(
      () => this.admin.fetchOffsets({ groupId: group, topics: [...topics] }),
      `the committed offsets of ${group}`
    )
    return entries.reduce(
      (sum, entry) => sum + entry.partitions.reduce((s, p) => s + Math.max(0, Number(p.offset)), 0),
      0
    )
  }

  /** The end offsets (last stable offsets), summed. */
  async end(topics: ReadonlyArray<string>): Promise<number> {
    let sum = 0
    for (const topic of topics) {
      const offsets = await retrying(() => this.admin.fetchTopicOffsets(topic), `the end offsets of ${topic}`)
      for (const p of offsets) sum += Number(p.high)
    }
    return sum
  }

  get scorerInput(): ReadonlyArray<string> {
    return [this.topics.interactions]
  }

  get projectorInput(): ReadonlyArray<string> {
    return [this.topics.scores, this.topics.interactions]
  }

  /**
   * Waits until `group` commits beyond `baseline` (or has committed
   * everything there is) and records the time since `sinceMs` as the
   * recovery from `what`.
   */
  async recovered(
    what: string,
    group: string,
    topics: ReadonlyArray<string>,
    sinceMs: number,
    baseline: number,
    timeoutMs = 180_000
  ): Promise<number> {
    await eventuallyTrue(
      async () => {
        const committed = await this.committed(group, topics)
        return committed > baseline || committed >= (await this.end(topics))
      },
      `${group} to commit progress after ${what}`,
      timeoutMs
    )
    const ms = Date.now() - sinceMs
    this.recoveries.push({ what, ms })
    return ms
  }

  /** Waits until the scorer, and the projector if one ran, have committed everything. */
  async settle(timeoutMs = 240_000) {
    const caughtUp = async (group: string, topics: ReadonlyArray<string>) =>
      (await this.committed(group, topics)) >= (await this.end(topics))
    await eventuallyTrue(
      () => caughtUp(this.scorerGroup, this.scorerInput),
      `the scorer group to commit all of ${this.topics.interactions}`,
      timeoutMs
    )
    if (this.projectorStarted) {
      await eventuallyTrue(
        () => caughtUp(this.projectorGroup, this.projectorInput),
        "the projector group to commit all of the scores and interactions topics",
        timeoutMs
      )
    }
  }

  /** `xpscore score` on these event values, in this order (the crash-free reference). */
  offlineScores(values: ReadonlyArray<Uint8Array>): Map<string, ReferenceScore> {
    const file = path.join(this.logsFolder, `reference-${Date.now()}.ndjson`)
    fs.writeFileSync(file, Buffer.concat(values.flatMap((value) => [value, Buffer.from("\n")])))
    const result = spawnSync("./xpscore", ["score", file], {
      cwd: repoRoot,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024
    })
    if (result.status !== 0) throw new Error(`xpscore score failed (${result.status}):\n${result.stderr}`)
    fs.rmSync(file)
    return new Map(
      result.stdout
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => {
          const { customerId, score, events, late } = JSON.parse(line) as ReferenceScore & { customerId: string }
          return [customerId, { score, events, late }] as const
        })
    )
  }

  private clickhouse: ManagedRuntime.ManagedRuntime<ClickHouse, unknown> | undefined

  /** A query on the suite's ClickHouse server, in this run's database, directly (not through any proxy). */
  query<A extends Row>(sql: string): Promise<ReadonlyArray<A>> {
    this.clickhouse ??= ManagedRuntime.make(ClickHouse.layerFor(serverTarget(this.database)))
    return this.clickhouse.runPromise(
      Effect.gen(function* () {
        return yield* (yield* ClickHouse).query<A>(sql)
      })
    )
  }

  /** A table or view of this run's database, quoted. */
  table(name: string) {
    return sqlQualified(this.database, name)
  }

  private async clickhouseContents(): Promise<ClickHouseContents> {
    const query = <A extends Row>(sql: string) => this.query<A>(sql)
    const view = (name: string) => this.table(name)
    const history = await query<{ customer_id: string; rows: number; seqs: number; min_seq: number; max_seq: number }>(
      `SELECT customer_id, count() AS rows, uniqExact(seq) AS seqs, min(seq) AS min_seq, max(seq) AS max_seq FROM ${view(biViews.scoreHistory)} GROUP BY customer_id`
    )
    const current = await query<{ customer_id: string; score_at_last_event: number; records: number }>(
      `SELECT customer_id, score_at_last_event, records FROM ${view(biViews.currentScores)}`
    )
    const countColumns = `events, duplicates, late_events, negative_moments, recoveries, active_customers`
    const rollups = await query<Record<string, string | number>>(
      `SELECT toString(day) AS day, event_source, channel, segment, ${countColumns} FROM ${view(biViews.dailyRollups)}`
    )
    const fromHistory = await query<Record<string, string | number>>(
      `SELECT toString(event_date) AS day, event_source, ifNull(channel, '') AS channel_text, ifNull(segment, '') AS segment_text,
         countIf(duplicate = 0) AS events, countIf(duplicate = 1) AS duplicates, countIf(late = 1) AS late_events,
         countIf(ifNull(impression, 0) < 0) AS negative_moments,
         countIf(ifNull(recovery, '') IN ('paradox', 'partial')) AS recoveries,
         uniqExact(customer_id) AS active_customers
       FROM ${view(biViews.scoreHistory)}
       GROUP BY day, event_source, channel_text, segment_text`
    )
    const [interactions] = await query<{ n: number }>(`SELECT count() AS n FROM ${view(biViews.interactions)}`)
    const counts = ["events", "duplicates", "late_events", "negative_moments", "recoveries", "active_customers"]
    const keyOf = (row: Record<string, string | number>, channel: string, segment: string) =>
      JSON.stringify([row.day, row.event_source, row[channel], row[segment]])
    const expected = new Map(fromHistory.map((row) => [keyOf(row, "channel_text", "segment_text"), row]))
    const differences: Array<string> = []
    for (const row of rollups) {
      const key = keyOf(row, "channel", "segment")
      const want = expected.get(key)
      expected.delete(key)
      const differing = counts.filter((column) => Number(row[column]) !== Number(want?.[column] ?? 0))
      if (differing.length > 0) {
        differences.push(
          `${key}: ${differing.map((column) => `${column} ${row[column]} (history: ${want?.[column] ?? 0})`).join(", ")}`
        )
      }
    }
    for (const [key] of expected) differences.push(`${key}: in the score history, missing from the rollups`)
    const totals = { events: 0, duplicates: 0, lateEvents: 0 }
    for (const row of rollups) {
      totals.events += Number(row.events)
      totals.duplicates += Number(row.duplicates)
      totals.lateEvents += Number(row.late_events)
    }
    return {
      history: new Map(
        history.map((row) => [
          row.customer_id,
          { rows: Number(row.rows), seqs: Number(row.seqs), minSeq: Number(row.min_seq), maxSeq: Number(row.max_seq) }
        ])
      ),
      current: new Map(
        current.map((row) => [
          row.customer_id,
          { scoreAtLastEvent: Number(row.score_at_last_event), records: Number(row.records) }
        ])
      ),
      rollupTotals: totals,
      rollupDifferences: differences,
      interactions: Number(interactions?.n ?? 0)
    }
  }

  /**
   * Reads everything back and compares it with the input and the crash-free
   * reference; records the scenario's line of the summary table.
   */
  async verify(): Promise<
    Verdict & { readonly unrecognised: number; readonly reference: ReadonlyMap<string, ReferenceScore> }
  > {
    const input = await readAll(this.kafka, this.topics.interactions)
    const byCoordinates = new Map<string, KafkaMessage>()
    const records: Array<InputRecord> = []
    const validValues: Array<Buffer> = []
    let unrecognised = 0
    const ordered = [...input].sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))
    for (const message of ordered) {
      byCoordinates.set(`${message.partition}:${message.offset}`, message)
      const expectation = this.expectations.get(recordIdentity(message.key, message.value))
      if (expectation === undefined) {
        unrecognised++
        continue
      }
      let event: InputRecord["event"]
      if (expectation.kind === "valid") {
        const parsed = JSON.parse(message.value!.toString("utf8")) as { subject: string; source: string; id: string }
        event = { customerId: parsed.subject, source: parsed.source, id: parsed.id }
        validValues.push(message.value!)
      }
      records.push({
        partition: message.partition,
        offset: message.offset,
        expectation,
        ...(event === undefined ? {} : { event })
      })
    }
    const reference = this.offlineScores(validValues)

    const scores: Array<ScoredRecord> = (await readAll(this.kafka, this.topics.scores))
      .sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)))
      .map((message) => JSON.parse(message.value!.toString("utf8")) as ScoredRecord)

    const deadLetters: Array<DeadLetterRecord> = []
    for (const letter of await readAll(this.kafka, this.topics.deadLetters)) {
      const headers = headersAsText(letter.headers)
      const read = readDeadLetter(headers)
      if (read._tag === "Failure") throw new Error(`an unreadable dead letter: ${read.failure.message}`)
      const info = read.success
      const original = byCoordinates.get(`${info.source.partition}:${info.source.offset}`)
      const stored = letter.value ?? Buffer.alloc(0)
      const truncatedFrom = info.truncated?.valueBytes
      const valueIntact =
        original !== undefined &&
        (truncatedFrom === undefined
          ? Buffer.compare(stored, original.value ?? Buffer.alloc(0)) === 0
          : Number(truncatedFrom) === original.value?.length &&
            stored.length < original.value.length &&
            Buffer.compare(stored, original.value.subarray(0, stored.length)) === 0)
      deadLetters.push({
        sourcePartition: info.source.partition,
        sourceOffset: info.source.offset,
        rule: info.rule,
        path: info.path,
        valueIntact
      })
    }

    const clickhouse = this.projectorStarted ? await this.clickhouseContents() : undefined
    const verdict = judge({
      records,
      reference,
      scores,
      deadLetters,
      ...(clickhouse === undefined ? {} : { clickhouse })
    })
    const problems = [
      ...verdict.problems,
      ...(unrecognised > 0
        ? [`input: ${unrecognised} records on the interactions topic that were never published`]
        : [])
    ]
    recordSummaryRow(inject("faultInfra").home, {
      scenario: this.scenario,
      eventsIn: input.length,
      scored: verdict.scored,
      deadLettered: verdict.deadLettered,
      projected: verdict.projected,
      lost: verdict.lost,
      duplicated: verdict.duplicated,
      recoveryMs: this.recoveries.length === 0 ? undefined : Math.max(...this.recoveries.map((r) => r.ms)),
      faults: this.faults.join("; "),
      problems: problems.length,
      wallMs: Date.now() - this.startedAtMs
    })
    console.log(
      [
        `── ${this.scenario}: ${input.length} records in, ${verdict.scored} scored, ${verdict.deadLettered} dead-lettered${verdict.projected === undefined ? "" : `, ${verdict.projected} projected`}; lost ${verdict.lost}, duplicated ${verdict.duplicated}`,
        `   faults: ${this.faults.join("; ") || "none"}`,
        ...this.recoveries.map((r) => `   recovered from ${r.what} in ${(r.ms / 1000).toFixed(1)} s`),
        ...Object.entries(verdict.breakdown)
          .filter(([, part]) => part.lost > 0 || part.duplicated > 0)
          .map(([where, part]) => `   ${where}: lost ${part.lost}, duplicated ${part.duplicated}`),
        ...problems.map((problem) => `   ✗ ${problem}`)
      ].join("\n")
    )
    return { ...verdict, problems, unrecognised, reference }
  }

  /** Kills what still runs, keeps every process's output in the run's log folder. */
  async close() {
    for (const [i, service] of this.processes.entries()) {
      if (service.child.exitCode === null && service.child.signalCode === null) await service.kill()
      fs.writeFileSync(path.join(this.logsFolder, `${service.service}-${i + 1}.log`), service.output())
    }
    await this.admin.disconnect()
    await this.clickhouse?.dispose()
  }
}
