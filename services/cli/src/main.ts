import { NodeRuntime, NodeServices } from "@effect/platform-node"
import { LocalInfra } from "@xpscore/infra"
import { Effect, Layer, Logger } from "effect"
import { Command } from "effect/cli"
import { benchCommand } from "./commands/benchCommand.ts"
import { deadLettersCommand } from "./commands/deadLettersCommand.ts"
import { demoCommand } from "./commands/demoCommand.ts"
import { infraCommand } from "./commands/infraCommand.ts"
import { inspectCommand } from "./commands/inspectCommand.ts"
import { lagCommand } from "./commands/lagCommand.ts"
import { migrateCommand } from "./commands/migrateCommand.ts"
import { produceCommand } from "./commands/produceCommand.ts"
import { replayCommand } from "./commands/replayCommand.ts"
import { runCommand } from "./commands/runCommand.ts"
import { schemaCommand } from "./commands/schemaCommand.ts"
import { scoreCommand } from "./commands/scoreCommand.ts"
import { simulateCommand } from "./commands/simulateCommand.ts"
import { testCommand } from "./commands/testCommand.ts"
import { topicsCommand } from "./commands/topicsCommand.ts"
import { reportFailure } from "./reportFailure.ts"
import { serviceTeardown } from "./serviceExit.ts"

const xpscore = Command.make("xpscore").pipe(
  Command.withDescription(
    "Event-sourced customer experience scoring: Kafka in, explainable scores out, ClickHouse for BI"
  ),
  Command.withSubcommands([
    testCommand,
    demoCommand,
    infraCommand,
    topicsCommand,
    migrateCommand,
    schemaCommand,
    produceCommand,
    simulateCommand,
    runCommand,
    lagCommand,
    inspectCommand,
    replayCommand,
    deadLettersCommand,
    scoreCommand,
    benchCommand
  ])
)

const program = Command.run(xpscore, { version: "0.1.0" }).pipe(
  Effect.provide(Layer.mergeAll(NodeServices.layer, LocalInfra.layer)),
  // Standard output carries data and --json; logs of the interactive commands go to standard error.
  // (The services of `run` log JSON lines to standard output through their own logger.)
  Effect.provideService(Logger.LogToStderr, true),
  reportFailure
)

NodeRuntime.runMain(program, { disableErrorReporting: true, teardown: serviceTeardown })
