import * as fs from "node:fs"
import { Effect } from "effect"
import { PrerequisiteMissing } from "./errors.ts"
import { onPath, runCommand } from "./processes.ts"

const canUseApt = () =>
  Effect.gen(function* () {
    const isRoot = process.getuid?.() === 0
    return isRoot && (yield* onPath("apt-get"))
  })

let aptListsFresh = false

/**
 * Installs Debian packages when we run as root on Debian (the CI machine and
 * the dev sandbox); anywhere else the caller gets a message saying what to
 * install instead.
 */
const aptInstall = (packages: ReadonlyArray<string>, what: string, howToGet: string) =>
  Effect.gen(function* () {
    if (!(yield* canUseApt())) return yield* new PrerequisiteMissing({ what, howToGet })
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" }
    yield* Effect.logInfo(`installing ${packages.join(", ")} with apt-get`)
    if (!aptListsFresh) {
      yield* runCommand("apt-get", ["update", "-qq"], { env })
      aptListsFresh = true
    }
    yield* runCommand("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...packages], { env })
  }).pipe(
    Effect.catchTag("CommandFailed", (failure) =>
      Effect.fail(new PrerequisiteMissing({ what, howToGet: `${howToGet} (apt-get failed: ${failure.message})` }))
    )
  )

const javaMajor = runCommand("java", ["-version"]).pipe(
  Effect.map((output) => {
    const match = /version "(\d+)(?:\.(\d+))?/.exec(output)
    if (match === null) return 0
    const major = Number(match[1])
    return major === 1 ? Number(match[2]) : major
  }),
  Effect.orElseSucceed(() => 0)
)

/** Java 17 or newer runs the Kafka broker. */
export const ensureJava = Effect.gen(function* () {
  if ((yield* javaMajor) >= 17) return
  yield* aptInstall(
    ["openjdk-17-jre-headless"],
    "Java 17 or newer (runs the local Kafka broker)",
    "install a JDK or JRE 17+ (Debian/Ubuntu: `apt-get install openjdk-17-jre-headless`) and put `java` on PATH"
  )
})

/** Maven resolves the Kafka broker jars from Maven Central. */
export const ensureMaven = Effect.gen(function* () {
  if (yield* onPath("mvn")) return
  yield* aptInstall(
    ["maven"],
    "Maven (resolves the Kafka broker jars from Maven Central)",
    "install Apache Maven 3.6+ (Debian/Ubuntu: `apt-get install maven`) and put `mvn` on PATH"
  )
})

const clickhouseServerCandidates = ["/usr/bin/clickhouse-server", "/usr/sbin/clickhouse-server"]

const findClickHouseServer = () => clickhouseServerCandidates.find((file) => fs.existsSync(file))

/** The path of a `clickhouse-server` binary, installing Debian's package when possible. */
export const ensureClickHouseServer = Effect.gen(function* () {
  const found = findClickHouseServer()
  if (found !== undefined) return found
  yield* aptInstall(
    ["clickhouse-server", "clickhouse-client"],
    "clickhouse-server (the local ClickHouse server)",
    "install ClickHouse (Debian: `apt-get install clickhouse-server`; others: https://clickhouse.com/docs/install) or set CLICKHOUSE_URL to an existing server"
  )
  const installed = findClickHouseServer()
  if (installed === undefined) {
    return yield* new PrerequisiteMissing({
      what: "clickhouse-server",
      howToGet: "the package installed, but no clickhouse-server binary is in /usr/bin or /usr/sbin"
    })
  }
  return installed
})
