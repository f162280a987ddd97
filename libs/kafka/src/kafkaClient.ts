import { kafkaBrokersConfig } from "@xpscore/config"
import { type Context, Effect, type LogLevel } from "effect"
import { Kafka, type LogEntry, logLevel } from "kafkajs"
import { installAbortedTransactionsFix } from "./abortedTransactions.ts"
import { installKafkajsEncoding } from "./kafkajsEncoding.ts"

// before any client fetches: kafkajs alone can hand out records of aborted transactions
installAbortedTransactionsFix()
// before any client produces or fetches: kafkajs' encoders zero-fill buffers they overwrite and compute CRC-32C in JavaScript
installKafkajsEncoding()

export interface KafkaClientOptions {
  readonly clientId: string
  readonly brokers: ReadonlyArray<string>
  /**
   * Where kafkajs' own logs go: Effect logging with these services (their
   * logger and minimum level), or nowhere. Default: nowhere.
   */
  readonly logs?: Context.Context<never> | "silent"
}

/**
 * kafkajs reports at ERROR what it retries and usually recovers from
 * (leader elections, a rebalance, a broker restart); what it cannot recover
 * from reaches our code as a failed operation and is reported there. So its
 * errors are warnings here, and its chatty INFO is debug.
 */
const severity = (level: logLevel): LogLevel.Severity => {
  switch (level) {
    case logLevel.ERROR:
    case logLevel.WARN:
      return "Warn"
    case logLevel.INFO:
      return "Debug"
    default:
      return "Trace"
  }
}

const annotationsOf = (entry: LogEntry) => {
  const { message: _message, timestamp: _timestamp, logger: _logger, ...fields } = entry.log
  const annotations: Record<string, unknown> = { kafkajs: entry.namespace }
  for (const [key, value] of Object.entries(fields)) if (value !== undefined) annotations[key] = value
  return annotations
}

const logCreatorFor = (services: Context.Context<never>) => () => (entry: LogEntry) => {
  Effect.runSyncWith(services)(
    Effect.logWithLevel(severity(entry.level))(entry.log.message).pipe(Effect.annotateLogs(annotationsOf(entry)))
  )
}

/** The one way xpscore makes a kafkajs client, with kafkajs' logs routed into Effect logging or silenced. */
export const makeKafka = (options: KafkaClientOptions): Kafka =>
  new Kafka({
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: 10_000,
    ...(options.logs === undefined || options.logs === "silent"
      ? { logLevel: logLevel.NOTHING }
      : { logLevel: logLevel.INFO, logCreator: logCreatorFor(options.logs) })
  })

/** A kafkajs client for the brokers of `KAFKA_BROKERS`, logging through the current Effect logger. */
export const kafkaClient = Effect.fnUntraced(function* (clientId: string) {
  const brokers = yield* kafkaBrokersConfig
  const services = yield* Effect.context<never>()
  return makeKafka({ clientId, brokers, logs: services })
})
