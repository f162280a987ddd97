import { Effect, Schema } from "effect"
import type { Admin, Kafka } from "kafkajs"

/** A Kafka admin request that failed, with what was being done. */
export class KafkaAdminFailed extends Schema.TaggedError<KafkaAdminFailed>()("KafkaAdminFailed", {
  operation: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `Kafka could not ${this.operation}: ${this.reason}`
  }
}

const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/** One admin request as an Effect; `operation` completes "Kafka could not …". */
export const adminCall = <A>(operation: string, run: () => Promise<A>) =>
  Effect.tryPromise({ try: run, catch: (cause) => new KafkaAdminFailed({ operation, reason: reasonOf(cause) }) })

/** Runs `use` with a connected admin client, disconnected afterwards whatever happens. */
export const withAdmin = <A, E, R>(kafka: Kafka, use: (admin: Admin) => Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => kafka.admin()).pipe(
      Effect.tap((admin) => adminCall("connect (is the broker up? ./xpscore infra status)", () => admin.connect()))
    ),
    use,
    (admin) => Effect.promise(() => admin.disconnect()).pipe(Effect.ignore)
  )
