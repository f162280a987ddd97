import { defineConfig } from "vitest/config"

// Integration and e2e tests get real Kafka and ClickHouse from the harness
// (environment variables, else Testcontainers when Docker answers, else the
// local JVM broker and clickhouse-server that `xpscore infra up` starts).
const harness = "./test/harness/globalSetup.ts"
const faultHarness = "./test/faults/harness/faultSuiteSetup.ts"
const roots = "{libs,services,infra,test}"

export default defineConfig({
  test: {
    // Each test file runs in its own process: chDB allows one engine per process.
    pool: "forks",
    reporters: process.env.CI === "true" ? ["default"] : ["default"],
    projects: [
      {
        test: {
          name: "unit",
          include: [`${roots}/**/*.unit.spec.ts`],
          testTimeout: 60_000
        }
      },
      {
        test: {
          name: "integration",
          include: [`${roots}/**/*.int.spec.ts`],
          globalSetup: [harness],
          testTimeout: 180_000,
          hookTimeout: 300_000
        }
      },
      {
        test: {
          name: "e2e",
          include: [`${roots}/**/*.e2e.spec.ts`],
          globalSetup: [harness],
          testTimeout: 600_000,
          hookTimeout: 600_000,
          fileParallelism: false
        }
      },
      // Fault injection (docs/faults.md) on a broker and ClickHouse server of its
      // own, started by its global setup: scenarios restart and stop them. One
      // file at a time: each one's processes and faults would skew the others.
      {
        test: {
          name: "faults",
          include: ["test/faults/**/*.faults.spec.ts"],
          globalSetup: [faultHarness],
          testTimeout: 1_800_000,
          hookTimeout: 600_000,
          fileParallelism: false
        }
      },
      // The fast subset (test/faults/fast), part of the default `./xpscore test`.
      {
        test: {
          name: "faults-fast",
          include: ["test/faults/fast/**/*.faults.spec.ts"],
          globalSetup: [faultHarness],
          testTimeout: 900_000,
          hookTimeout: 600_000,
          fileParallelism: false
        }
      }
    ]
  }
})
