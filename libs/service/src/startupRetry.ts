import { Cause, Effect } from "effect"

/** The start-up loop's progress, read by a service's /healthz while it starts. */
export interface StartupProgress {
  /** the last attempt, epoch ms */
  lastStartupAttemptAtMs: number
  startupError: string | undefined
}

export interface Backoff {
  readonly retryBaseMs: number
  readonly retryMaxMs: number
}

/** The first line of a failure, for a log annotation or a health body. */
export const firstLineOf = (cause: Cause.Cause<unknown>) => Cause.pretty(cause).split("\n")[0] ?? "unknown error"

/**
 * Runs `step` until it succeeds, waiting longer after each failure (doubling
 * from `retryBaseMs` up to `retryMaxMs`): a Kafka or ClickHouse that is not
 * up yet is waited for, not crashed on, so an orchestrator never sees a crash
 * loop, and /healthz shows the attempts through `progress`.
 */
export const retryUntilSuccess = <A, E, R>(
  what: string,
  step: Effect.Effect<A, E, R>,
  backoff: Backoff,
  progress: StartupProgress
): Effect.Effect<A, never, R> =>
  Effect.gen(function* () {
    for (let attempt = 1; ; attempt++) {
      progress.lastStartupAttemptAtMs = Date.now()
      const exit = yield* Effect.exit(step)
      if (exit._tag === "Success") {
        progress.startupError = undefined
        return exit.value
      }
      const retryInMs = Math.min(backoff.retryMaxMs, backoff.retryBaseMs * 2 ** Math.min(attempt - 1, 30))
      progress.startupError = `${what}: ${firstLineOf(exit.cause)}`
      yield* Effect.logWarning(`${what} failed; retrying`).pipe(
        Effect.annotateLogs({ attempt, retryInMs, error: firstLineOf(exit.cause) })
      )
      yield* Effect.sleep(retryInMs)
    }
  })
