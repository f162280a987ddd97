import { Cause, Effect } from "effect"
import * as Runtime from "effect/Runtime"

/**
 * How a long-running service (`xpscore run …`) ends. SIGTERM is how
 * orchestrators stop one: it drains (finishes its batch, commits, leaves the
 * group) and then ends, which is success, so the exit status is 0. Ctrl-C
 * (SIGINT) keeps the conventional 130, and so does a SIGTERM whose drain
 * failed (the cause then holds more than interruptions). Every other command
 * keeps the runtime's rules: a terminated `test` or `demo` did not succeed.
 */
let serviceRunning = false
let terminated = false
process.once("SIGTERM", () => {
  terminated = true
})

/** Marks the process as running a service, whose clean stop by SIGTERM exits 0. */
export const asService = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.suspend(() => {
    serviceRunning = true
    return self
  })

export const serviceTeardown: Runtime.Teardown = (exit, onExit) =>
  serviceRunning && terminated && exit._tag === "Failure" && Cause.hasInterruptsOnly(exit.cause)
    ? onExit(0)
    : Runtime.defaultTeardown(exit, onExit)
