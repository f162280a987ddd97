import { LocalInfra, type ServiceStatus } from "@xpscore/infra"
import { Console, Effect } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { followFile } from "../followFile.ts"

const json = Flag.Boolean("json").pipe(Flag.withDefault(false), Flag.withDescription("Print machine-readable JSON"))

const describe = (status: ServiceStatus) =>
  status.running
    ? `${status.service.padEnd(10)} running  pid ${String(status.pid).padEnd(8)} ${status.endpoint.padEnd(24)} ports ${status.ports.join(",").padEnd(12)} ${status.version ?? ""}`
    : `${status.service.padEnd(10)} stopped  data ${status.dataDir}`

const printStatuses = (statuses: ReadonlyArray<ServiceStatus>, asJson: boolean) =>
  asJson ? Console.log(JSON.stringify(statuses, null, 2)) : Effect.forEach(statuses, (s) => Console.log(describe(s)))

const up = Command.make("up", { json }, ({ json }) =>
  Effect.gen(function* () {
    const infra = yield* LocalInfra
    const statuses = yield* infra.up
    yield* printStatuses(statuses, json)
    if (!json)
      yield* Console.log(
        `\nKAFKA_BROKERS=${infra.kafkaBrokers}  CLICKHOUSE_URL=${infra.clickhouseUrl}\nStop with: ./xpscore infra down`
      )
  })
).pipe(
  Command.withDescription(
    "Start the local single-node Kafka broker (KRaft, JVM) and ClickHouse server on 127.0.0.1; reuses running ones"
  )
)

const down = Command.make("down", {}, () =>
  Effect.gen(function* () {
    const stopped = yield* (yield* LocalInfra).down
    yield* Console.log(stopped.length === 0 ? "nothing was running" : `stopped: ${stopped.join(", ")}`)
  })
).pipe(Command.withDescription("Stop the local Kafka broker and ClickHouse server started by `infra up` (by pid)"))

const status = Command.make("status", { json }, ({ json }) =>
  Effect.gen(function* () {
    yield* printStatuses(yield* (yield* LocalInfra).status, json)
  })
).pipe(Command.withDescription("Show the local services with their pids, ports and versions"))

const logs = Command.make(
  "logs",
  {
    service: Argument.Literals("service", ["kafka", "clickhouse"]).pipe(
      Argument.withDescription("Which service's log to show")
    ),
    follow: Flag.Boolean("follow").pipe(
      Flag.withDefault(false),
      Flag.withAlias("f"),
      Flag.withDescription("Keep printing new lines")
    ),
    lines: Flag.Int("lines").pipe(
      Flag.withAlias("n"),
      Flag.withDefault(50),
      Flag.withDescription("How many of the last lines to print")
    )
  },
  ({ service, follow, lines }) =>
    Effect.gen(function* () {
      const infra = yield* LocalInfra
      yield* followFile(infra.logFiles[service], { lines, follow })
    })
).pipe(Command.withDescription("Print the log of a local service"))

export const infraCommand = Command.make("infra").pipe(
  Command.withDescription("Local Kafka and ClickHouse for machines without Docker"),
  Command.withSubcommands([up, down, status, logs])
)
