import * as fs from "node:fs"
import * as os from "node:os"
import { ClickHouse, sqlIdentifier } from "@xpscore/clickhouse"
import type { ClickHouseTarget } from "@xpscore/config"
import {
  ensureTopics,
  type KafkajsEncodingStatus,
  kafkajsEncodingStatus,
  makeKafka,
  modelVersionTopicNames,
  topicNames,
  topicSpecs
} from "@xpscore/kafka"
import { cpuTicks, stealShare } from "@xpscore/scoring/bench"
import { Effect } from "effect"
import type { Kafka } from "kafkajs"
import { benchProducer, generateInput, produceAll } from "./benchInput.ts"
import { type BenchPlan, pipelineRecords } from "./benchPlan.ts"
import { type FigureRow, met } from "./benchReport.ts"
import { type ConsumptionFigure, kafkajsCeiling, platformaticCeiling } from "./consumptionCeiling.ts"
import { foldFigures } from "./foldFigures.ts"
import { type PipelineFigures, pipelineFigures } from "./pipelineFigures.ts"
import { type RestoreFigure, restoreFigure } from "./restoreFigures.ts"
import { nonTransactionalScorer, type ScorerFigure, transactionalScorer } from "./scorerThroughput.ts"

export interface BenchOptions {
  readonly plan: BenchPlan
  readonly brokers: ReadonlyArray<string>
  /** the ClickHouse server (its database is the bench's own) */
  readonly server: Extract<ClickHouseTarget, { mode: "server" }>
  /** a folder for the embedded engine's data, removed afterwards */
  readonly embeddedPath: string
  /** progress, one line at a time (standard error) */
  readonly say: (line: string) => void
}

export interface BenchResult {
  readonly generatedAt: string
  readonly mode: BenchPlan["mode"]
  readonly machine: {
    readonly cpus: number
    readonly node: string
    /** 1-minute load average before and after: the figures are as noisy as the machine was busy */
    readonly loadBefore: number
    readonly loadAfter: number
    /** share of the machine's CPU time the host took during the run (a shared VM's noise; undefined off Linux) */
    readonly stealShare: number | undefined
    /** whether libs/kafka's faster kafkajs producer pieces were in place (each "installed", or why not) */
    readonly kafkajsEncoding: KafkajsEncodingStatus
  }
  readonly input: {
    readonly generator: string
    readonly records: number
    readonly customers: number
    readonly days: number
    readonly seed: number
    readonly meanRecordBytes: number
    readonly partitions: number
  }
  readonly rows: ReadonlyArray<FigureRow>
  readonly details: {
    readonly fold: ReturnType<typeof foldFigures>
    readonly kafkajs: ConsumptionFigure
    readonly platformatic: ConsumptionFigure
    readonly transactional: ScorerFigure
    readonly nonTransactional: ScorerFigure
    readonly pipelines: ReadonlyArray<PipelineFigures>
    readonly restores: ReadonlyArray<RestoreFigure>
  }
  readonly seconds: number
}

const count = (n: number) => n.toLocaleString("en-US")

/** What a run leaves: its topics and consumer groups (all under its prefix), its databases. */
const cleanUp = (kafka: Kafka, prefix: string) =>
  Effect.promise(async () => {
    const admin = kafka.admin()
    await admin.connect()
    try {
      const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix))
      if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 60_000 })
      const groups = (await admin.listGroups()).groups.map((g) => g.groupId).filter((id) => id.startsWith(prefix))
      if (groups.length > 0) await admin.deleteGroups(groups).catch(() => undefined)
    } finally {
      await admin.disconnect()
    }
  }).pipe(Effect.ignore)

const rowsOf = (plan: BenchPlan, d: BenchResult["details"]): Array<FigureRow> => {
  const largest = d.restores[d.restores.length - 1]
  const rows: Array<FigureRow> = [
    {
      id: "fold",
      label: "1. pure model fold (each customer's events together)",
      value: d.fold.byCustomer.eventsPerSecond,
      unit: "events/s",
      target: { atLeast: 2_000_000 },
      note: `${count(d.fold.byCustomer.events)} events, ${count(d.fold.byCustomer.customers)} customers, median of ${d.fold.byCustomer.rounds} rounds`
    },
    {
      id: "fold.interleaved",
      label: "1. pure model fold (one interleaved stream)",
      value: d.fold.interleaved.eventsPerSecond,
      unit: "events/s",
      note: "each event also fetches its customer's state"
    },
    {
      id: "ceiling.kafkajs",
      label: "2. ceiling: raw kafkajs eachBatch",
      value: d.kafkajs.eventsPerSecond,
      unit: "events/s"
    },
    {
      id: "ceiling.platformatic",
      label: "2b. raw @platformatic/kafka stream",
      value: d.platformatic.eventsPerSecond,
      unit: "events/s"
    },
    {
      id: "scorer.transactional",
      label: "3. scorer, exactly once",
      value: d.transactional.eventsPerSecond,
      unit: "events/s",
      target: { atLeast: 30_000 },
      note: `${d.transactional.cpuMicrosPerEvent.toFixed(1)} µs CPU per event`
    },
    {
      id: "scorer.transactional.ratio",
      label: "3. scorer exactly once ÷ kafkajs ceiling",
      value: d.transactional.eventsPerSecond / d.kafkajs.eventsPerSecond,
      unit: "ratio",
      target: { atLeast: 0.5 }
    },
    {
      id: "scorer.nonTransactional",
      label: "3. scorer work without transactions",
      value: d.nonTransactional.eventsPerSecond,
      unit: "events/s",
      note: `${(d.nonTransactional.eventsPerSecond / d.kafkajs.eventsPerSecond).toFixed(2)} of the ceiling; ${d.nonTransactional.cpuMicrosPerEvent.toFixed(1)} µs CPU per event`
    }
  ]
  for (const p of d.pipelines) {
    rows.push({
      id: `pipeline.${p.clickhouse}.sustained`,
      label: `4. pipeline (${p.clickhouse}) sustained`,
      value: p.sustained.eventsPerSecond,
      unit: "events/s"
    })
    for (const l of p.latency) {
      const at = `${count(l.rate / 1000)}k/s`
      const target = l.rate === 5_000 ? { atMost: 2_000 } : undefined
      const note = `offered ${count(Math.round(l.achievedRate))}/s, ${l.probes} probes`
      rows.push({
        id: `pipeline.${p.clickhouse}.p50.${l.rate}`,
        label: `4. e2e p50 at ${at} (${p.clickhouse})`,
        value: l.p50Ms,
        unit: "ms",
        note
      })
      rows.push({
        id: `pipeline.${p.clickhouse}.p99.${l.rate}`,
        label: `4. e2e p99 at ${at} (${p.clickhouse})`,
        value: l.p99Ms,
        unit: "ms",
        note,
        ...(target === undefined ? {} : { target })
      })
    }
  }
  for (const r of d.restores) {
    rows.push({
      id: `restore.${r.customers}`,
      label: `5. restore of ${count(r.customers)} customers`,
      value: r.seconds,
      unit: "s",
      ...(r.customers === 1_000_000 ? { target: { atMost: 30 } } : {}),
      note: `${count(r.changelogRecords)} changelog records of ${Math.round(r.changelogBytesPerCustomer)} B; reading them ${r.readSeconds.toFixed(1)} s, the rest rebuilding states`
    })
  }
  if (largest !== undefined) {
    rows.push({
      id: "heapPerCustomer",
      label: `6. heap per customer at ${count(largest.customers)}`,
      value: largest.heapBytesPerCustomer,
      unit: "B",
      target: { atMost: 1_024 },
      note: "the state, its map entry and its key (the customer id)"
    })
  }
  for (const p of d.pipelines) {
    rows.push({
      id: `replay.${p.clickhouse}`,
      label: `7. replay from earliest (${p.clickhouse})`,
      value: p.replay.eventsPerSecond,
      unit: "events/s",
      note: `${count(p.replay.records)} records, scorer and projector into a new database`
    })
  }
  // Targets are judged on full-size runs only: quick mode is a smoke run.
  return plan.mode === "full" ? rows : rows.map(({ target: _target, ...row }) => row)
}

/**
 * Runs every figure on its own namespace (topic prefix and databases with
 * a run id: concurrent runs and tests never meet), then deletes what it
 * created. Figures are taken one after another, never side by side.
 */
export const runBench = (options: BenchOptions) =>
  Effect.gen(function* () {
    const { plan, brokers, say } = options
    const startedAt = performance.now()
    const loadBefore = os.loadavg()[0]!
    const ticksBefore = cpuTicks()
    const runId = Math.random().toString(36).slice(2, 8)
    const prefix = `xp.bench-${plan.mode}-${runId}.`
    const database = `xpscore_bench_${plan.mode}_${runId}`
    const kafka = makeKafka({ clientId: "xpscore-bench", brokers, logs: "silent" })
    yield* Effect.addFinalizer(() =>
      Effect.gen(function* () {
        yield* cleanUp(kafka, prefix)
        yield* Effect.scoped(
          Effect.gen(function* () {
            const clickhouse = yield* ClickHouse
            for (const db of [`${database}_server`, `${database}_server_replay`]) {
              yield* clickhouse.command(`DROP DATABASE IF EXISTS ${sqlIdentifier(db)}`)
            }
          }).pipe(Effect.provide(ClickHouse.layerFor(options.server)))
        ).pipe(Effect.ignore)
        fs.rmSync(options.embeddedPath, { recursive: true, force: true })
      })
    )

    say(`${plan.mode} run ${runId}: topics ${prefix}*, databases ${database}_*`)
    const input = generateInput(plan, Math.max(plan.scorerRecords, pipelineRecords(plan)))
    say(
      `input: ${count(input.records.count)} simulated records (${count(input.customers)} customers, ${input.days} days, seed ${input.seed})`
    )

    const fold = foldFigures(plan)
    say(
      `1. pure fold: ${count(Math.round(fold.byCustomer.eventsPerSecond))} events/s by customer, ${count(Math.round(fold.interleaved.eventsPerSecond))} interleaved`
    )

    const names = topicNames(prefix)
    yield* ensureTopics(kafka, topicSpecs({ names, partitions: plan.partitions, replicationFactor: 1 }))
    const scorerRecords = Math.min(plan.scorerRecords, input.records.count)
    yield* Effect.promise(async () => {
      const producer = await benchProducer(kafka)
      await produceAll(producer, names.interactions, input.records, 0, scorerRecords)
      await producer.disconnect()
    })
    const scorerInput = { prefix, inputTopic: names.interactions, records: scorerRecords, partitions: plan.partitions }
    const kafkajs = yield* Effect.promise(() =>
      kafkajsCeiling(kafka, { ...scorerInput, topic: names.interactions, groupId: `${prefix}raw-kafkajs` })
    )
    say(`2. raw kafkajs: ${count(Math.round(kafkajs.eventsPerSecond))} events/s`)
    const platformatic = yield* Effect.promise(() =>
      platformaticCeiling({
        brokers,
        topic: names.interactions,
        groupId: `${prefix}raw-platformatic`,
        records: scorerRecords
      })
    )
    say(`2b. raw @platformatic/kafka: ${count(Math.round(platformatic.eventsPerSecond))} events/s`)
    const transactional = yield* Effect.promise(() => transactionalScorer(kafka, { ...scorerInput, brokers }))
    say(`3. scorer, exactly once: ${count(Math.round(transactional.eventsPerSecond))} events/s`)
    const nonTransactional = yield* Effect.promise(() =>
      nonTransactionalScorer(kafka, { ...scorerInput, topics: modelVersionTopicNames(prefix, "alo") })
    )
    say(`3. scorer work without transactions: ${count(Math.round(nonTransactional.eventsPerSecond))} events/s`)

    const pipelines: Array<PipelineFigures> = []
    const targets: ReadonlyArray<ClickHouseTarget> = [
      { ...options.server, database: `${database}_server` },
      { mode: "embedded", path: options.embeddedPath, database: `${database}_embedded` }
    ]
    for (const target of targets) {
      say(
        `4. pipeline on ClickHouse ${target.mode}: sustained, then ${plan.latencyPhases.map((p) => `${count(p.rate)}/s`).join(", ")}, then replay`
      )
      const figures = yield* Effect.scoped(
        pipelineFigures({
          kafka,
          brokers,
          plan,
          input,
          probeTemplate: input.probeTemplate,
          prefix: `${prefix}${target.mode}.`,
          database: target.database,
          runId
        }).pipe(Effect.provide(ClickHouse.layerFor(target)))
      )
      pipelines.push(figures)
      say(
        `   sustained ${count(Math.round(figures.sustained.eventsPerSecond))} events/s; ${figures.latency.map((l) => `p99 at ${count(l.rate)}/s ${count(Math.round(l.p99Ms))} ms`).join(", ")}; replay ${count(Math.round(figures.replay.eventsPerSecond))} events/s`
      )
    }

    const restores: Array<RestoreFigure> = []
    for (const customers of plan.restoreCustomers) {
      const figure = yield* Effect.promise(() =>
        restoreFigure(kafka, { prefix, customers, partitions: plan.partitions, topics: names })
      )
      restores.push(figure)
      say(
        `5. restore of ${count(customers)} customers: ${figure.seconds.toFixed(2)} s; heap ${Math.round(figure.heapBytesPerCustomer)} B per customer`
      )
    }

    const details = { fold, kafkajs, platformatic, transactional, nonTransactional, pipelines, restores }
    return {
      generatedAt: new Date().toISOString(),
      mode: plan.mode,
      machine: {
        cpus: os.cpus().length,
        node: process.version,
        loadBefore,
        loadAfter: os.loadavg()[0]!,
        stealShare: stealShare(ticksBefore, cpuTicks()),
        kafkajsEncoding: kafkajsEncodingStatus()
      },
      input: {
        generator: "services/simulator (simulationRecords), start 2025-01-01",
        records: input.records.count,
        customers: input.customers,
        days: input.days,
        seed: input.seed,
        meanRecordBytes: input.bytes / input.records.count,
        partitions: plan.partitions
      },
      rows: rowsOf(plan, details),
      details,
      seconds: (performance.now() - startedAt) / 1000
    } satisfies BenchResult
  })

export const targetsMet = (result: BenchResult) =>
  result.rows.filter((row) => row.target !== undefined).map((row) => ({ id: row.id, met: met(row) === true }))
