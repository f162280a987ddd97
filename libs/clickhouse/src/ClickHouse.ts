import { type ClickHouseClient, ClickHouseLogLevel, createClient } from "@clickhouse/client"
import { type ClickHouseTarget, clickhouseTargetConfig } from "@xpscore/config"
import { Context, Effect, Layer, Redacted } from "effect"
import { type ClickHouseError, toClickHouseError } from "./ClickHouseError.ts"

export type Row = Record<string, unknown>

type ClientConnection = NonNullable<NonNullable<Parameters<typeof createClient>[0]>["connection"]>

/**
 * One connection abstraction for a ClickHouse server (HTTP) and the embedded
 * engine (chDB in this process). Both speak through `@clickhouse/client`, so
 * every statement xpscore issues runs on both; statements use qualified
 * `db`.`table` names, and inserts send JSONEachRow bodies so that row values
 * never enter SQL text.
 */
export class ClickHouse extends Context.Service<
  ClickHouse,
  {
    readonly target: ClickHouseTarget
    /** Runs a SELECT and returns its rows (JSONEachRow; 64-bit integers as numbers on every engine). */
    readonly query: <A extends Row = Row>(sql: string) => Effect.Effect<ReadonlyArray<A>, ClickHouseError>
    /** Runs a statement that returns no rows (DDL, OPTIMIZE, …). */
    readonly command: (sql: string) => Effect.Effect<void, ClickHouseError>
    /** Inserts rows into `table` (a qualified name) as JSONEachRow. */
    readonly insert: (table: string, rows: ReadonlyArray<Row>) => Effect.Effect<void, ClickHouseError>
    readonly serverVersion: Effect.Effect<string, ClickHouseError>
  }
>()("@xpscore/clickhouse/ClickHouse") {
  /** Connects to `target`; the client is closed when the layer's scope ends. */
  static readonly layerFor = (target: ClickHouseTarget) => Layer.effect(ClickHouse, make(target))

  /** From `CLICKHOUSE_URL` (server) or, when unset, embedded chDB (see @xpscore/config). */
  static readonly layer = Layer.unwrap(
    Effect.gen(function* () {
      return ClickHouse.layerFor(yield* clickhouseTargetConfig)
    })
  )
}

/**
 * Both engines must return the same JSON. 18.16 quotes 64-bit integers and
 * chDB does not; we ask both for plain numbers. xpscore's 64-bit columns are
 * epoch milliseconds, sequence numbers and counts, all far below 2^53.
 */
const uniformJson = { output_format_json_quote_64bit_integers: 0 } as const

const openClient = (target: ClickHouseTarget) =>
  Effect.tryPromise({
    try: async (): Promise<ClickHouseClient> => {
      const log = { level: ClickHouseLogLevel.OFF }
      if (target.mode === "server") {
        return createClient({
          url: target.url,
          username: target.username,
          password: Redacted.value(target.password),
          log,
          clickhouse_settings: uniformJson,
          request_timeout: 60_000
        })
      }
      // chDB loads a large native library: only pay for it in embedded mode.
      const { createChdbConnection } = await import("chdb/connection")
      // chdb types the connection against its own copy of @clickhouse/client-common; the runtime contract is the same.
      const connection = createChdbConnection({ path: target.path }) as unknown as ClientConnection
      return createClient({ connection, log, clickhouse_settings: uniformJson })
    },
    catch: toClickHouseError("connect", target.mode === "server" ? target.url : target.path)
  })

const make = (target: ClickHouseTarget) =>
  Effect.gen(function* () {
    const client = yield* Effect.acquireRelease(openClient(target), (client) =>
      Effect.promise(() => client.close()).pipe(Effect.ignore)
    )

    const query = <A extends Row = Row>(sql: string) =>
      Effect.tryPromise({
        try: async () => (await client.query({ query: sql, format: "JSONEachRow" })).json<A>(),
        catch: toClickHouseError("query", sql)
      })

    const command = (sql: string) =>
      Effect.tryPromise({
        try: () => client.command({ query: sql }),
        catch: toClickHouseError("command", sql)
      }).pipe(Effect.asVoid)

    const insert = (table: string, rows: ReadonlyArray<Row>) =>
      rows.length === 0
        ? Effect.void
        : Effect.tryPromise({
            try: () => client.insert({ table, values: rows as Array<Row>, format: "JSONEachRow" }),
            catch: toClickHouseError("insert", `INSERT INTO ${table} (${rows.length} rows)`)
          }).pipe(Effect.asVoid)

    const serverVersion = Effect.map(query<{ version: string }>("SELECT version() AS version"), (rows) =>
      String(rows[0]?.version)
    )

    return ClickHouse.of({ target, query, command, insert, serverVersion })
  })
