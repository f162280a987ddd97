import * as path from "node:path"
import { repoRoot } from "@xpscore/infra"
import { Console, Effect, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { ChildProcess, ChildProcessSpawner } from "effect/process"

export class TestsFailed extends Schema.TaggedError<TestsFailed>()("TestsFailed", {
  failedSteps: Schema.Array(Schema.String)
}) {
  override get message() {
    return `failed: ${this.failedSteps.join(", ")}`
  }
}

interface Step {
  readonly name: string
  readonly command: string
  readonly args: ReadonlyArray<string>
}

const runStep = (step: Step) =>
  Effect.gen(function* () {
    const spawner = yield* ChildProcessSpawner.ChildProcessSpawner
    yield* Console.log(`\n━━ ${step.name}: ${step.command} ${step.args.join(" ")}`)
    const started = Date.now()
    const exitCode = yield* spawner.exitCode(
      ChildProcess.make(step.command, step.args, {
        cwd: repoRoot,
        stdin: "inherit",
        stdout: "inherit",
        stderr: "inherit",
        extendEnv: true
      })
    )
    return { name: step.name, ok: exitCode === 0, seconds: (Date.now() - started) / 1000 }
  })

/** What the plain command runs: faults-fast is the quick part of the fault-injection suite. */
const projects = ["unit", "integration", "e2e", "faults-fast"] as const

export const testCommand = Command.make(
  "test",
  {
    project: Flag.Literals("project", [...projects, "faults"]).pipe(
      Flag.withDescription(
        "Run only this test project (repeatable); default: unit, integration, e2e and faults-fast (faults: all fault scenarios)"
      ),
      Flag.atLeast(0)
    ),
    faults: Flag.Boolean("faults").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Run every fault-injection scenario (test/faults), not just the fast subset")
    ),
    skipChecks: Flag.Boolean("skip-checks").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Skip typecheck and lint")
    ),
    filters: Argument.String("filter").pipe(
      Argument.withDescription("Only test files whose path contains one of these (passed to vitest)"),
      Argument.variadic()
    )
  },
  ({ project, faults, skipChecks, filters }) =>
    Effect.gen(function* () {
      // the faults project holds the fast subset too: never both, or the fast files would run twice
      const chosen =
        project.length > 0
          ? project
          : faults
            ? [...projects.filter((name) => name !== "faults-fast"), "faults" as const]
            : projects
      const steps: Array<Step> = [
        ...(skipChecks
          ? []
          : [
              { name: "typecheck", command: "turbo", args: ["run", "typecheck", "--output-logs=errors-only"] },
              { name: "lint", command: "biome", args: ["ci", "--reporter=summary", "."] }
            ]),
        {
          name: "tests",
          command: "vitest",
          args: ["run", ...chosen.flatMap((name) => ["--project", name]), ...filters]
        },
        // the whole suite also runs every benchmark step once at toy sizes (a smoke run: no figure is judged)
        ...(project.length === 0 && filters.length === 0
          ? [
              {
                name: "bench",
                command: process.execPath,
                args: [path.join(repoRoot, "services", "cli", "src", "main.ts"), "bench", "--quick"]
              }
            ]
          : [])
      ]
      const results = []
      for (const step of steps) results.push(yield* runStep(step))
      yield* Console.log("\n━━ summary")
      for (const result of results) {
        yield* Console.log(`${result.ok ? "ok  " : "FAIL"}  ${result.name.padEnd(10)} ${result.seconds.toFixed(1)}s`)
      }
      const failed = results.filter((result) => !result.ok).map((result) => result.name)
      if (failed.length > 0) return yield* new TestsFailed({ failedSteps: failed })
    })
).pipe(
  Command.withDescription(
    "The whole suite: typecheck, lint, then unit, integration, e2e and fast fault-injection tests against real Kafka and ClickHouse (started if needed), then a quick bench smoke run"
  )
)
