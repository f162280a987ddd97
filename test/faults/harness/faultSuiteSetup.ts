import type { TestProject } from "vitest/node"
import "./faultContext.ts"
import {
  cleanUpAbandonedRuns,
  clickhouseUrlOf,
  kafkaBrokersOf,
  keepLogs,
  newFaultRun,
  removeFaultRun,
  startFaultInfra,
  stopFaultInfra
} from "./faultInfra.ts"
import { printSummary } from "./summaryTable.ts"

/**
 * Global setup of the `faults` project: starts the run's own broker and
 * ClickHouse server, hands them to the suites as `testInfra` (so the shared
 * harness helpers address them) and as `faultInfra` (so scenarios can
 * restart and stop them), and at the end prints the summary table of every
 * scenario and stops both.
 */
export default async function setup(project: TestProject) {
  await cleanUpAbandonedRuns()
  const settings = await newFaultRun()
  const startedAt = Date.now()
  try {
    await startFaultInfra(settings)
  } catch (error) {
    // stopped, the folder kept for its logs (the next run removes it)
    await stopFaultInfra(settings)
    throw error
  }
  console.log(
    `fault infrastructure (own, ${((Date.now() - startedAt) / 1000).toFixed(1)} s to start): Kafka ${kafkaBrokersOf(settings)}, ClickHouse ${clickhouseUrlOf(settings)}, home ${settings.home}`
  )
  project.provide("testInfra", {
    kafkaBrokers: kafkaBrokersOf(settings),
    clickhouseUrl: clickhouseUrlOf(settings),
    clickhouseBiUser: "bi",
    clickhouseBiPassword: "bi",
    kafkaSource: "local",
    clickhouseSource: "local"
  })
  project.provide("faultInfra", settings)
  return async () => {
    printSummary(settings.home)
    keepLogs(settings)
    if (process.env.XPSCORE_FAULTS_KEEP === "1") {
      console.log(`XPSCORE_FAULTS_KEEP=1: the broker and server of this run keep running in ${settings.home}`)
      return
    }
    await removeFaultRun(settings)
  }
}
