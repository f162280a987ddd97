import { ClickHouse } from "@xpscore/clickhouse"
import { clickhouseTargetConfig } from "@xpscore/config"
import { kafkaClient, topicNamesConfig } from "@xpscore/kafka"
import { loadModelParams, modelParamsConfig } from "@xpscore/scorer"
import { modelVersionId } from "@xpscore/scoring"
import { Console, Effect, Option, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { inspectCustomer } from "../customerInspection.ts"
import { formatInspection } from "../customerInspectionText.ts"
import { parseTime, TIME_HELP } from "../timeInput.ts"
import { InvalidFlag } from "./simulateCommand.ts"

export const inspectCommand = Command.make(
  "inspect",
  {
    customer: Argument.String("customer").pipe(Argument.withDescription("The customer id (the events' subject)")),
    at: Flag.String("at").pipe(
      Flag.optional,
      Flag.withDescription(`Explain the score at this time instead of now: ${TIME_HELP}`)
    ),
    limit: Flag.Int("limit").pipe(
      Flag.withSchema(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
      Flag.withDefault(30),
      Flag.withDescription("Show the customer's last this many events (0: all)")
    ),
    json: Flag.Boolean("json").pipe(Flag.withDefault(false), Flag.withDescription("Print machine-readable JSON"))
  },
  ({ customer, at, limit, json }) =>
    Effect.gen(function* () {
      const atMs = Option.isSome(at) ? parseTime(at.value) : Date.now()
      if (atMs === undefined) {
        return yield* new InvalidFlag({
          flag: "--at",
          rule: `expected ${TIME_HELP}`,
          value: Option.getOrElse(at, () => "")
        })
      }
      const params = yield* loadModelParams(yield* modelParamsConfig)
      const target = yield* clickhouseTargetConfig
      const inspection = yield* inspectCustomer({
        kafka: yield* kafkaClient("xpscore-inspect"),
        topics: yield* topicNamesConfig,
        database: target.database,
        customerId: customer,
        params,
        atMs,
        contributors: 10
      }).pipe(Effect.provide(ClickHouse.layerFor(target)))
      yield* Console.log(
        json
          ? JSON.stringify({ ...inspection, modelVersion: modelVersionId(params) })
          : formatInspection(inspection, { limit, gain: params.g, modelVersion: modelVersionId(params) })
      )
    })
).pipe(
  Command.withDescription(
    "Show one customer: the events as scored (from ClickHouse), the score's course as a chart, and why the score is what it is now " +
      "(the three terms with their weights, which add up to the index, and the events that weigh most), explained from the " +
      "customer's latest state in the scorer's changelog"
  ),
  Command.withExamples([
    { command: "xpscore inspect customer-00042", description: "Events, chart and explanation" },
    { command: "xpscore inspect customer-00042 --json", description: "The same as JSON, for scripts" }
  ])
)
