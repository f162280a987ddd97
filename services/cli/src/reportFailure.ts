import { Cause, Effect } from "effect"
import { CliError } from "effect/cli"

/**
 * Prints a failure the way an operator wants to read it: the error's own
 * message (our tagged errors carry the field, rule and place), not a stack
 * dump; then exits non-zero. Usage errors are already rendered by the CLI.
 */
export const reportFailure = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  self.pipe(
    Effect.catchCause((cause) =>
      Effect.sync(() => {
        if (!Cause.hasInterruptsOnly(cause)) {
          for (const failure of cause.reasons) {
            if (failure._tag === "Fail" && CliError.isCliError(failure.error)) continue
            for (const error of Cause.prettyErrors(Cause.fromReasons([failure]))) {
              process.stderr.write(`xpscore: ${error.message}\n`)
            }
          }
        }
        process.exitCode = 1
      })
    )
  )
