import * as fs from "node:fs"
import * as path from "node:path"
import { type FigureRow, formatTarget, formatValue, fullPlan, quickPlan, runBench, verdict } from "@xpscore/bench"
import { kafkaBrokersConfig, xpscoreHome } from "@xpscore/config"
import { kafkaServesMetadata, LocalInfra } from "@xpscore/infra"
import { formatSteal } from "@xpscore/scoring/bench"
import { Config, Console, Effect, Option, Redacted } from "effect"
import { Command, Flag } from "effect/cli"
import { formatTable } from "../terminalTable.ts"

const startedAt = performance.now()
const say = (line: string) =>
  Effect.runSync(Console.error(`xpscore bench [${((performance.now() - startedAt) / 1000).toFixed(0)} s]: ${line}`))

/**
 * Kafka: KAFKA_BROKERS, or the local broker (started when it does not
 * answer). ClickHouse server: CLICKHOUSE_URL (CLICKHOUSE_USER,
 * CLICKHOUSE_PASSWORD), or the local server (started likewise); the
 * embedded engine runs in this process either way. A local service the bench
 * started is stopped when it ends, as the test harness does: a measurement
 * leaves the machine as it found it (the test command runs it last).
 */
const infrastructure = Effect.gen(function* () {
  const infra = yield* LocalInfra
  const before = yield* infra.status
  const wasRunning = (service: "kafka" | "clickhouse") => before.some((s) => s.service === service && s.running)
  const stopWhenDone = (service: "kafka" | "clickhouse", down: Effect.Effect<boolean>) =>
    wasRunning(service)
      ? Effect.void
      : Effect.addFinalizer(() => Effect.map(down, () => say(`stopped the local ${service} it started`)))
  const explicitBrokers = yield* Config.String("KAFKA_BROKERS").pipe(Config.option)
  const brokers = yield* kafkaBrokersConfig
  if (Option.isNone(explicitBrokers) && !(yield* kafkaServesMetadata(brokers[0]!))) {
    say(`starting the local Kafka broker on ${infra.kafkaBrokers}`)
    yield* infra.upKafka
    yield* stopWhenDone("kafka", infra.downKafka)
  }
  const url = yield* Config.URL("CLICKHOUSE_URL").pipe(Config.option)
  const username = yield* Config.String("CLICKHOUSE_USER").pipe(Config.withDefault("default"))
  const password = yield* Config.Redacted("CLICKHOUSE_PASSWORD").pipe(Config.withDefault(Redacted.make("")))
  if (Option.isNone(url)) {
    yield* infra.upClickHouse
    yield* stopWhenDone("clickhouse", infra.downClickHouse)
  }
  const server = {
    mode: "server" as const,
    url: Option.match(url, { onNone: () => infra.clickhouseUrl, onSome: (u) => u.origin }),
    username,
    password,
    database: "default"
  }
  return { brokers, server }
})

const table = (rows: ReadonlyArray<FigureRow>) =>
  formatTable(
    [
      { header: "figure", align: "left", value: (row: FigureRow) => row.label },
      { header: "value", align: "right", value: (row) => formatValue(row.value, row.unit) },
      { header: "target", align: "left", value: (row) => formatTarget(row) },
      { header: "met", align: "left", value: (row) => verdict(row) },
      { header: "how", align: "left", value: (row) => row.note ?? "" }
    ],
    rows
  )

export const benchCommand = Command.make(
  "bench",
  {
    quick: Flag.Boolean("quick").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Toy sizes, every step once (a smoke run, under a minute); targets are not judged")
    ),
    out: Flag.String("out").pipe(
      Flag.optional,
      Flag.withDescription("Write the JSON here (default $XPSCORE_HOME/bench/bench-<timestamp>.json)")
    )
  },
  ({ quick, out }) =>
    Effect.gen(function* () {
      const plan = quick ? quickPlan : fullPlan
      const home = yield* xpscoreHome
      const { brokers, server } = yield* infrastructure
      const stamp = new Date().toISOString().replace(/[:.]/g, "-")
      const result = yield* Effect.scoped(
        runBench({
          plan,
          brokers,
          server,
          embeddedPath: path.join(home, "bench", `chdb-${stamp}`),
          say
        })
      )
      const file = path.resolve(
        Option.getOrElse(out, () => path.join(home, "bench", `bench-${quick ? "quick-" : ""}${stamp}.json`))
      )
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`)
      yield* Console.log(table(result.rows))
      const steal = formatSteal(result.machine.stealShare)
      yield* Console.log(
        `\n${plan.mode} run in ${result.seconds.toFixed(0)} s on ${result.machine.cpus} cores, load ${result.machine.loadBefore.toFixed(1)} → ${result.machine.loadAfter.toFixed(1)}${steal === "" ? "" : `, ${steal}`}; input ${result.input.records.toLocaleString("en-US")} simulated records (seed ${result.input.seed})`
      )
      yield* Console.log(`figures: ${file}`)
    }).pipe(Effect.scoped)
).pipe(
  Command.withDescription(
    "Measure throughput, latency, restore and memory beside the Kafka client's own ceiling, on local Kafka and both ClickHouse modes, " +
      "with one simulated input (fixed seed); prints the table with the targets and writes the figures as JSON (docs/benchmarks.md)"
  ),
  Command.withExamples([
    { command: "xpscore bench", description: "Every figure at full size (about 10 minutes)" },
    { command: "xpscore bench --quick", description: "A smoke run of every step at toy sizes" }
  ])
)
