import { type Config, ConfigProvider, Effect, Exit } from "effect"

/** A service's configuration read from the given environment variables alone, as an Exit. */
export const parseConfig = <A>(config: Config.Config<A>, env: Record<string, string>) =>
  Effect.runSyncExit(config.parse(ConfigProvider.fromEnv({ env })))

/** What a failed read says (the variable and the rule), or "" when it succeeded. */
export const failureText = (exit: Exit.Exit<unknown, unknown>) => (Exit.isFailure(exit) ? String(exit.cause) : "")
