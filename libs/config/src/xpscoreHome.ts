import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { Config } from "effect"

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url))

/**
 * Where local state lives (Kafka jars, broker and server data, logs, pid
 * files, embedded ClickHouse data, reports): `XPSCORE_HOME`, by default the
 * git-ignored `.xpscore/` folder at the repository root.
 */
export const xpscoreHome = Config.String("XPSCORE_HOME").pipe(
  Config.withDefault(path.join(repoRoot, ".xpscore")),
  Config.map((home) => path.resolve(home))
)
