import * as fs from "node:fs"
import * as path from "node:path"
import { ClickHouse, migrate } from "@xpscore/clickhouse"
import { type ClickHouseTarget, clickhouseTargetConfig, kafkaBrokersConfig, xpscoreHome } from "@xpscore/config"
import { kafkaServesMetadata, LocalInfra } from "@xpscore/infra"
import {
  ensureTopics,
  InteractionProducer,
  makeKafka,
  readDeadLetters,
  topicLayoutConfig,
  topicSpecs
} from "@xpscore/kafka"
import {
  MAX_CUSTOMERS,
  MAX_DAYS,
  publishSimulation,
  simulationDefaults,
  simulationRecords,
  summarizeRecords,
  validateSimulationOptions,
  withSimulationDefaults
} from "@xpscore/simulator"
import { Config, Console, Effect, Logger, Option, Result, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import {
  checkDemoNamespace,
  clearDemoNamespace,
  type DemoNamespace,
  demoNamespaceConfig,
  namespaceSettings
} from "../demoNamespace.ts"
import { biQueries, connectionHelp, type DemoReport, deadLetterReasons, gatherScores } from "../demoReport.ts"
import { formatDemoReport } from "../demoReportText.ts"
import { waitUntilCaughtUp } from "../groupCatchUp.ts"
import { renderHtmlReport } from "../htmlReport.ts"
import { fileLogsLayer, settingsLayer, startPipeline } from "../inProcessPipeline.ts"
import { withAdmin } from "../kafkaAdmin.ts"
import { makeProgressBar } from "../progressBar.ts"
import { formatCount } from "../quantityFormat.ts"
import { InvalidFlag } from "./simulateCommand.ts"

export class InfrastructureUnreachable extends Schema.TaggedError<InfrastructureUnreachable>()(
  "InfrastructureUnreachable",
  { what: Schema.String, where: Schema.String, hint: Schema.String }
) {
  override get message() {
    return `${this.what} at ${this.where} does not answer; ${this.hint}`
  }
}

const intFlag = (name: string, minimum: number, maximum: number, fallback: number, description: string) =>
  Flag.Int(name).pipe(
    Flag.withSchema(Schema.Int.check(Schema.isBetween({ minimum, maximum }))),
    Flag.withDefault(fallback),
    Flag.withDescription(`${description} (default ${formatCount(fallback)})`)
  )

const flags = {
  customers: intFlag("customers", 1, MAX_CUSTOMERS, simulationDefaults.customers, "How many simulated customers"),
  days: intFlag("days", 1, MAX_DAYS, simulationDefaults.days, "How many days of activity, ending today"),
  seed: intFlag("seed", 0, Number.MAX_SAFE_INTEGER, simulationDefaults.seed, "The simulation's seed"),
  out: Flag.String("out").pipe(
    Flag.optional,
    Flag.withDescription("Write the HTML report here (default $XPSCORE_HOME/demo/report.html)")
  ),
  json: Flag.Boolean("json").pipe(
    Flag.withDefault(false),
    Flag.withDescription("Print the report as one JSON document instead of text (the HTML is written either way)")
  )
}

const say = (line: string) => Console.error(`xpscore demo: ${line}`)

/** Settings of the services the demo runs in its process: the namespace, ephemeral health ports, quick batches. */
const demoServiceSettings = (namespace: DemoNamespace) => ({
  ...namespaceSettings(namespace),
  XPSCORE_SCORER_HTTP_HOST: "127.0.0.1",
  XPSCORE_SCORER_HTTP_PORT: process.env.XPSCORE_SCORER_HTTP_PORT ?? "0",
  XPSCORE_PROJECTOR_HTTP_HOST: "127.0.0.1",
  XPSCORE_PROJECTOR_HTTP_PORT: process.env.XPSCORE_PROJECTOR_HTTP_PORT ?? "0",
  XPSCORE_PROJECTOR_BATCH_MS: process.env.XPSCORE_PROJECTOR_BATCH_MS ?? "300"
})

const answersPing = (url: string) =>
  Effect.tryPromise(() => fetch(`${url}/ping`, { signal: AbortSignal.timeout(2_000) })).pipe(
    Effect.map((response) => response.ok),
    Effect.orElseSucceed(() => false)
  )

/**
 * Kafka: the brokers of KAFKA_BROKERS, or the local broker, started when it
 * does not answer yet. ClickHouse: embedded unless CLICKHOUSE_URL is set; the
 * local server is started when that URL is its and it does not answer.
 */
const ensureInfrastructure = Effect.gen(function* () {
  const infra = yield* LocalInfra
  const explicitBrokers = yield* Config.String("KAFKA_BROKERS").pipe(Config.option)
  const brokers = yield* kafkaBrokersConfig
  const notes: Array<string> = []
  let startedKafka = false
  const localKafka = Option.isNone(explicitBrokers)
  if (yield* kafkaServesMetadata(brokers[0]!)) notes.push(`Kafka ${brokers.join(",")} (running)`)
  else if (Option.isSome(explicitBrokers)) {
    return yield* new InfrastructureUnreachable({
      what: "Kafka",
      where: brokers.join(","),
      hint: "unset KAFKA_BROKERS to use the local broker, or start yours"
    })
  } else {
    yield* say(`starting the local Kafka broker on ${infra.kafkaBrokers} (the first time downloads it)`)
    yield* infra.upKafka
    startedKafka = true
    notes.push(`Kafka ${infra.kafkaBrokers} (started)`)
  }
  const target = yield* clickhouseTargetConfig
  let startedClickHouse = false
  if (target.mode === "server") {
    if (!(yield* answersPing(target.url))) {
      if (target.url !== infra.clickhouseUrl) {
        return yield* new InfrastructureUnreachable({
          what: "ClickHouse",
          where: target.url,
          hint: "unset CLICKHOUSE_URL for the embedded engine, or start your server"
        })
      }
      yield* say(`starting the local ClickHouse server on ${infra.clickhouseUrl}`)
      yield* infra.upClickHouse
      startedClickHouse = true
    }
    notes.push(`ClickHouse ${target.url}, database ${target.database}`)
  } else notes.push(`ClickHouse embedded in this process (${target.path}), database ${target.database}`)
  // KAFKA_BROKERS may name the local broker too: then it is still `infra down` that stops it
  const isLocalKafka = localKafka || brokers.join(",") === infra.kafkaBrokers
  return { target, brokers, notes, startedKafka, startedClickHouse, infra, localKafka: isLocalKafka }
})

const simulationOptions = (input: { customers: number; days: number; seed: number }) =>
  Effect.gen(function* () {
    const checked = validateSimulationOptions(
      withSimulationDefaults({ customers: input.customers, days: input.days, seed: input.seed })
    )
    if (Result.isFailure(checked)) {
      const problem = checked.failure
      return yield* new InvalidFlag({ flag: `--${problem.option}`, rule: problem.rule, value: problem.value })
    }
    return checked.success
  })

const footer = (
  namespace: DemoNamespace,
  reportPath: string,
  envFile: string,
  target: ClickHouseTarget,
  customerId: string | undefined,
  logFile: string,
  localKafka: boolean
) =>
  [
    "",
    `HTML report: ${reportPath}`,
    `services' log: ${logFile}`,
    "",
    localKafka
      ? `The scorer and projector stopped; the local Kafka${target.mode === "server" ? " and ClickHouse keep" : " keeps"} running (stop with ./xpscore infra down).`
      : "The scorer and projector stopped; Kafka (KAFKA_BROKERS) and ClickHouse were left as they are.",
    `Keep exploring this demo (topics ${namespace.prefix}*, database ${namespace.database}):`,
    `  source ${envFile}`,
    ...(customerId === undefined
      ? []
      : [`  ./xpscore inspect ${customerId}     # events, chart, and why the score is what it is`]),
    "  ./xpscore lag                           # every group caught up",
    "  ./xpscore dead-letters list             # what was rejected, and why",
    `  ./xpscore replay --group ${namespace.scorerGroup} --to-earliest   # what a replay would do (dry run)`,
    "  ./xpscore run all                       # keep scoring what arrives",
    "Run ./xpscore demo again for a fresh run: it deletes and recreates this namespace."
  ].join("\n")

const runDemo = (input: {
  readonly customers: number
  readonly days: number
  readonly seed: number
  readonly out: Option.Option<string>
  readonly json: boolean
}) =>
  Effect.gen(function* () {
    const startedMs = performance.now()
    const options = yield* simulationOptions(input)
    const namespace = yield* checkDemoNamespace(yield* demoNamespaceConfig)
    const home = yield* xpscoreHome
    const demoDir = path.join(home, "demo")
    fs.mkdirSync(demoDir, { recursive: true })
    const logFile = path.join(demoDir, "services.log")
    fs.writeFileSync(logFile, "")
    const reportPath = path.resolve(Option.getOrElse(input.out, () => path.join(demoDir, "report.html")))

    const infra = yield* ensureInfrastructure
    yield* say(infra.notes.join(" · "))
    const kafka = makeKafka({ clientId: "xpscore-demo", brokers: infra.brokers, logs: "silent" })

    const report = yield* Effect.scoped(
      Effect.gen(function* () {
        yield* say(`clearing the demo's namespace: topics ${namespace.prefix}*, database ${namespace.database}`)
        yield* clearDemoNamespace(kafka, namespace)
        yield* ensureTopics(kafka, topicSpecs(yield* topicLayoutConfig))
        yield* migrate
        const pipeline = yield* startPipeline({ scorer: true, projector: true }).pipe(
          Effect.provide(fileLogsLayer(logFile))
        )
        const expected = summarizeRecords(options, simulationRecords(options))
        yield* say(
          `simulating ${formatCount(options.customers)} customers over ${options.days} days: ${formatCount(expected.records)} records; scorer and projector running in this process`
        )
        const publishBar = makeProgressBar({ label: "publish", total: expected.records, unit: "records" })
        const published = yield* publishSimulation(options, { onProgress: (p) => publishBar.update(p.sent) }).pipe(
          Effect.provide(InteractionProducer.layerWith({ clientId: "xpscore-demo" })),
          Effect.provide(fileLogsLayer(logFile))
        )
        publishBar.finish(published.summary.records)

        const hint = `the services' log is ${logFile}`
        yield* withAdmin(kafka, (admin) =>
          Effect.gen(function* () {
            yield* waitUntilCaughtUp({
              admin,
              groupId: namespace.scorerGroup,
              topics: [namespace.topics.interactions],
              label: "score  ",
              hint
            })
            yield* waitUntilCaughtUp({
              admin,
              groupId: namespace.projectorGroup,
              topics: [namespace.topics.scores, namespace.topics.interactions],
              label: "project",
              hint
            })
          })
        ).pipe(Effect.raceFirst(pipeline.failed))

        // offsets are committed only after ClickHouse acknowledged; still, see the counts settle
        const clickhouse = yield* ClickHouse
        let previous = -1
        for (;;) {
          const scores = yield* gatherScores(namespace.database)
          const count = scores.scored.scoreRecords + scores.scored.interactions
          if (count === previous) {
            const letters = yield* readDeadLetters(kafka, namespace.topics.deadLetters)
            const infraLocal = infra.infra
            return {
              generatedAt: new Date().toISOString(),
              topics: {
                interactions: namespace.topics.interactions,
                scores: namespace.topics.scores,
                deadLetters: namespace.topics.deadLetters
              },
              clickhouse: {
                mode: clickhouse.target.mode,
                where: clickhouse.target.mode === "server" ? clickhouse.target.url : clickhouse.target.path,
                database: namespace.database
              },
              produced: {
                records: published.summary.records,
                events: published.summary.events.total,
                duplicates: published.summary.duplicates,
                invalid: published.summary.invalid.total,
                customers: published.summary.customers,
                days: published.summary.days,
                start: published.summary.start,
                end: published.summary.end
              },
              scored: scores.scored,
              deadLetters: { total: letters.length, reasons: deadLetterReasons(letters) },
              distribution: scores.distribution,
              averageScore: scores.averageScore,
              movers: scores.movers,
              trajectories: scores.trajectories,
              biQueries: biQueries(namespace.database, scores.faller),
              connect: connectionHelp(clickhouse.target, infraLocal.biPassword, infraLocal.clickhouseUrl),
              elapsedMs: performance.now() - startedMs
            } satisfies DemoReport
          }
          previous = count
          yield* Effect.sleep(300)
        }
      }).pipe(Effect.provide(ClickHouse.layerFor(infra.target)))
    )

    fs.mkdirSync(path.dirname(reportPath), { recursive: true })
    fs.writeFileSync(reportPath, renderHtmlReport(report))
    const envFile = path.join(demoDir, "demo.env")
    fs.writeFileSync(
      envFile,
      `# the demo's namespace, for the follow-up commands: source this file\n${Object.entries(
        namespaceSettings(namespace)
      )
        .map(([name, value]) => `export ${name}=${value}`)
        .join("\n")}\n`
    )
    if (input.json) {
      yield* Console.log(JSON.stringify({ ...report, reportPath, envFile, logFile }))
      return
    }
    yield* Console.log(formatDemoReport(report))
    yield* Console.log(
      footer(
        namespace,
        reportPath,
        envFile,
        infra.target,
        report.trajectories[0]?.customerId,
        logFile,
        infra.localKafka
      )
    )
  })

export const demoCommand = Command.make("demo", flags, (input) =>
  Effect.gen(function* () {
    const namespace = yield* demoNamespaceConfig
    yield* runDemo(input).pipe(Effect.provide(settingsLayer(demoServiceSettings(namespace))))
  }).pipe(Effect.provideService(Logger.LogToStderr, true))
).pipe(
  Command.withDescription(
    "See the whole system work: start local Kafka (ClickHouse embedded, or the server of CLICKHOUSE_URL), create the topics and tables, " +
      "run the scorer and projector, simulate customers and publish them, wait until everything is scored and projected, " +
      "then print a report (counts, dead letters, score distribution, movers, three customers' charts, SQL for BI) and write it as HTML. " +
      "Runs on its own namespace (topics xp.demo.*, database xpscore_demo), cleared at every run; leaves Kafka running."
  ),
  Command.withExamples([
    { command: "xpscore demo", description: "2,000 customers over the last 90 days, embedded ClickHouse" },
    {
      command: "CLICKHOUSE_URL=http://127.0.0.1:18123 xpscore demo",
      description: "The same on the local ClickHouse server, where BI tools can connect as bi"
    },
    { command: "xpscore demo --customers 200 --days 30", description: "A quicker, smaller run" }
  ])
)
