import { Schema } from "effect"

/** A ClickHouse request failed: the operation, the statement (shortened) and the server's message. */
export class ClickHouseError extends Schema.TaggedError<ClickHouseError>()("ClickHouseError", {
  operation: Schema.Literals(["query", "command", "insert", "connect"]),
  statement: Schema.String,
  reason: Schema.String,
  /** ClickHouse's numeric error code, when the server sent one (e.g. 164 = READONLY). */
  code: Schema.optional(Schema.String)
}) {
  override get message() {
    return `ClickHouse ${this.operation} failed${this.code === undefined ? "" : ` (code ${this.code})`}: ${this.reason}\n  in: ${this.statement}`
  }
}

const shorten = (statement: string) => (statement.length > 300 ? `${statement.slice(0, 300)}…` : statement)

export const toClickHouseError =
  (operation: ClickHouseError["operation"], statement: string) =>
  (cause: unknown): ClickHouseError => {
    const error = cause as { message?: unknown; code?: unknown }
    const reason = typeof error?.message === "string" ? error.message : String(cause)
    // @clickhouse/client parses the code from current servers' messages only; 18.16 writes "Code: 164, e.displayText() = …"
    const code = typeof error?.code === "string" ? error.code : /^Code: (\d+)[,.]/.exec(reason)?.[1]
    return new ClickHouseError({
      operation,
      statement: shorten(statement),
      reason,
      ...(code === undefined ? {} : { code })
    })
  }
