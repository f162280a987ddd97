import * as path from "node:path"
import { InteractionProducer } from "@xpscore/kafka"
import {
  MAX_CUSTOMERS,
  MAX_DAYS,
  parseStart,
  publishSimulation,
  type SimulationOptions,
  simulationDefaults,
  simulationRecords,
  summarizeRecords,
  validateSimulationOptions,
  withSimulationDefaults,
  writeSimulationNdjson
} from "@xpscore/simulator"
import { Console, Effect, Logger, Option, Result, Schema } from "effect"
import { Command, Flag } from "effect/cli"
import { makeProgressBar } from "../progressBar.ts"
import { formatBytes, formatCount, formatDuration, formatRate } from "../quantityFormat.ts"
import { formatSimulationSummary } from "../simulationSummaryText.ts"

/** A flag value that breaks a rule only visible once the flags are combined. */
export class InvalidFlag extends Schema.TaggedError<InvalidFlag>()("InvalidFlag", {
  flag: Schema.String,
  rule: Schema.String,
  value: Schema.String
}) {
  override get message() {
    return `${this.flag}: ${this.rule}, got ${this.value}`
  }
}

const flagOf: Readonly<Record<string, string>> = {
  customers: "--customers",
  days: "--days",
  seed: "--seed",
  startMs: "--start",
  duplicateRate: "--duplicate-rate",
  lateRate: "--late-rate",
  lateBeyondHorizonShare: "--late-beyond-share",
  invalidRate: "--invalid-rate"
}

const fraction = (name: string, defaultValue: number, description: string) =>
  Flag.Finite(name).pipe(
    Flag.withSchema(
      Schema.Number.check(Schema.isBetween({ minimum: 0, maximum: 1 }, { message: "expected a fraction from 0 to 1" }))
    ),
    Flag.withDefault(defaultValue),
    Flag.withDescription(`${description} (default ${defaultValue})`)
  )

const integerFlag = (name: string, minimum: number, maximum: number, defaultValue: number, description: string) =>
  Flag.Int(name).pipe(
    Flag.withSchema(
      Schema.Number.check(
        Schema.isBetween(
          { minimum, maximum },
          { message: `expected an integer from ${formatCount(minimum)} to ${formatCount(maximum)}` }
        )
      )
    ),
    Flag.withDefault(defaultValue),
    Flag.withDescription(`${description} (default ${formatCount(defaultValue)})`)
  )

const flags = {
  customers: integerFlag("customers", 1, MAX_CUSTOMERS, simulationDefaults.customers, "How many customers"),
  days: integerFlag("days", 1, MAX_DAYS, simulationDefaults.days, "How many days of activity"),
  seed: integerFlag(
    "seed",
    0,
    Number.MAX_SAFE_INTEGER,
    simulationDefaults.seed,
    "The seed: the same flags give byte-identical output"
  ),
  start: Flag.String("start").pipe(
    Flag.withSchema(
      Schema.String.check(
        Schema.makeFilter((text: string) => parseStart(text) !== undefined, {
          message: "expected an RFC 3339 date or date-time, e.g. 2024-01-01 or 2024-01-01T06:00:00Z"
        })
      )
    ),
    Flag.optional,
    Flag.withDescription(
      "First moment of the simulated window, RFC 3339 (2024-01-01 or 2024-01-01T06:00:00Z); default: midnight UTC --days days ago, so the window ends today. Give it for reproducible output"
    )
  ),
  duplicateRate: fraction(
    "duplicate-rate",
    simulationDefaults.duplicateRate,
    "Fraction of events their producer sends twice (same source, id and bytes)"
  ),
  lateRate: fraction(
    "late-rate",
    simulationDefaults.lateRate,
    "Fraction of events that arrive after a later event of the same customer"
  ),
  lateBeyondShare: fraction(
    "late-beyond-share",
    simulationDefaults.lateBeyondHorizonShare,
    "Of the late events, the fraction later than the scorer's 24 h allowed lateness"
  ),
  invalidRate: fraction(
    "invalid-rate",
    simulationDefaults.invalidRate,
    "Per event, the probability of an extra broken record (malformed JSON, out-of-range value, missing field, unknown type, control characters, …)"
  ),
  out: Flag.String("out").pipe(
    Flag.optional,
    Flag.withDescription(
      "Write NDJSON to this file (- for standard output) instead of publishing to the interactions topic"
    )
  ),
  rate: Flag.Finite("rate").pipe(
    Flag.withSchema(
      Schema.Number.check(Schema.isGreaterThan(0, { message: "expected a number of records per second above 0" }))
    ),
    Flag.optional,
    Flag.withDescription(
      "Publish at most this many records per second (token bucket); default: as fast as Kafka takes them"
    )
  ),
  json: Flag.Boolean("json").pipe(
    Flag.withDefault(false),
    Flag.withDescription(
      "Print the summary as one JSON document (to standard error when the NDJSON goes to standard output)"
    )
  )
}

const optionsFrom = (input: {
  readonly customers: number
  readonly days: number
  readonly seed: number
  readonly start: Option.Option<string>
  readonly duplicateRate: number
  readonly lateRate: number
  readonly lateBeyondShare: number
  readonly invalidRate: number
}) =>
  Effect.gen(function* () {
    const options = withSimulationDefaults({
      customers: input.customers,
      days: input.days,
      seed: input.seed,
      duplicateRate: input.duplicateRate,
      lateRate: input.lateRate,
      lateBeyondHorizonShare: input.lateBeyondShare,
      invalidRate: input.invalidRate,
      ...(Option.isSome(input.start) ? { startMs: parseStart(input.start.value)! } : {})
    })
    const checked = validateSimulationOptions(options)
    if (Result.isFailure(checked)) {
      const problem = checked.failure
      return yield* new InvalidFlag({
        flag: flagOf[problem.option] ?? problem.option,
        rule: problem.rule,
        value: problem.option === "startMs" && Option.isSome(input.start) ? input.start.value : problem.value
      })
    }
    return checked.success
  })

const writeFile = (options: SimulationOptions, out: string, json: boolean) =>
  Effect.gen(function* () {
    const toStdout = out === "-"
    const print = toStdout ? Console.error : Console.log
    const total = toStdout ? undefined : summarizeRecords(options, simulationRecords(options)).records
    const progress = toStdout ? undefined : makeProgressBar({ label: "write", total, unit: "records" })
    const startedMs = performance.now()
    const summary = yield* writeSimulationNdjson(options, out, (p) => progress?.update(p.written))
    progress?.finish(summary.records)
    const where = toStdout ? "standard output" : path.resolve(out)
    if (json) {
      yield* print(JSON.stringify({ ...summary, output: { kind: "file", path: where } }))
    } else {
      yield* print(
        `${formatSimulationSummary(summary)}\n\nwrote ${formatCount(summary.records)} records (${formatBytes(summary.bytes)}) to ${where} in ${formatDuration(performance.now() - startedMs)}`
      )
    }
  })

const publish = (options: SimulationOptions, ratePerSecond: number | undefined, json: boolean) =>
  Effect.gen(function* () {
    const expected = summarizeRecords(options, simulationRecords(options))
    const progress = makeProgressBar({ label: "publish", total: expected.records, unit: "records" })
    const result = yield* publishSimulation(options, {
      ...(ratePerSecond === undefined ? {} : { ratePerSecond }),
      onProgress: (p) => progress.update(p.sent)
    }).pipe(Effect.provide(InteractionProducer.layerWith({ clientId: "xpscore-simulator" })))
    progress.finish(result.summary.records)
    if (json) {
      yield* Console.log(
        JSON.stringify({
          ...result.summary,
          output: {
            kind: "kafka",
            topic: result.topic,
            elapsedMs: result.elapsedMs,
            recordsPerSecond: result.recordsPerSecond
          }
        })
      )
    } else {
      yield* Console.log(
        `${formatSimulationSummary(result.summary)}\n\npublished ${formatCount(result.summary.records)} records to ${result.topic} in ${formatDuration(result.elapsedMs)} (${formatRate(result.recordsPerSecond, "records")}${ratePerSecond === undefined ? "" : `, limit ${formatRate(ratePerSecond, "records")}`})`
      )
    }
  })

export const simulateCommand = Command.make("simulate", flags, (input) =>
  Effect.gen(function* () {
    const options = yield* optionsFrom(input)
    if (Option.isSome(input.out)) {
      if (Option.isSome(input.rate)) {
        return yield* new InvalidFlag({
          flag: "--rate",
          rule: "paces publishing to Kafka and cannot be combined with --out",
          value: String(input.rate.value)
        })
      }
      return yield* writeFile(options, input.out.value, input.json)
    }
    yield* publish(options, Option.getOrUndefined(input.rate), input.json)
  }).pipe(
    // standard output carries the NDJSON or the summary: logs, kafkajs' included, go to standard error
    Effect.provideService(Logger.LogToStderr, true)
  )
).pipe(
  Command.withDescription(
    "Simulate realistic customer journeys (orders, deliveries, support tickets, surveys across several services) with duplicates, late and invalid records at chosen rates, deterministic by seed; publish them to the interactions topic, or write NDJSON"
  ),
  Command.withExamples([
    { command: "xpscore simulate", description: "2,000 customers over the last 90 days, published to Kafka" },
    {
      command: "xpscore simulate --customers 200 --days 30 --start 2024-01-01 --out events.ndjson",
      description: "A reproducible file; `xpscore produce events.ndjson` sends it later"
    },
    {
      command: "xpscore simulate --rate 500 --invalid-rate 0.05",
      description: "Publish at 500 records/s with a poison-message storm of 5 %"
    }
  ])
)
