import { LocalInfra } from "@xpscore/infra"
import { Effect } from "effect"
import type { TestProject } from "vitest/node"
import {
  dockerEngineAnswers,
  type StartedContainer,
  startClickHouseContainer,
  startKafkaContainer
} from "./containers.ts"
import type { InfraSource, TestInfra } from "./providedContext.ts"

/**
 * Hands integration tests a Kafka bootstrap address and a ClickHouse server,
 * chosen in this order: environment variables (KAFKA_BROKERS,
 * CLICKHOUSE_URL), Testcontainers when a Docker engine answers, the local
 * broker and server of `xpscore infra up`. A missing prerequisite fails the
 * run with a message saying how to get it; nothing is skipped.
 *
 * Several projects list this setup; they share one acquisition, and what it
 * started is stopped when the last of them is torn down.
 */
let shared: Promise<{ infra: TestInfra; release: () => Promise<void> }> | undefined
let users = 0

const runLocal = <A, E>(effect: Effect.Effect<A, E, LocalInfra>) =>
  Effect.runPromise(
    effect.pipe(
      Effect.provide(LocalInfra.layer),
      Effect.mapError((error) => new Error(`test infrastructure: ${(error as { message?: string }).message ?? error}`))
    )
  )

const acquire = async () => {
  const started: Array<() => Promise<void>> = []
  const local = await runLocal(
    Effect.gen(function* () {
      return yield* LocalInfra
    })
  )
  const localStatus = await runLocal(local.status)
  const wasRunning = (service: "kafka" | "clickhouse") => localStatus.some((s) => s.service === service && s.running)
  const docker = process.env.KAFKA_BROKERS && process.env.CLICKHOUSE_URL ? false : await dockerEngineAnswers()

  const resolveKafka = async (): Promise<[string, InfraSource]> => {
    if (process.env.KAFKA_BROKERS) return [process.env.KAFKA_BROKERS, "env"]
    if (docker) {
      const container: StartedContainer = await startKafkaContainer()
      started.push(container.stop)
      return [container.address, "testcontainers"]
    }
    // registered before starting: a broker that starts but never becomes ready is stopped too
    if (!wasRunning("kafka")) started.push(() => runLocal(local.downKafka).then(() => undefined))
    await runLocal(local.upKafka)
    return [local.kafkaBrokers, "local"]
  }

  const resolveClickHouse = async (): Promise<[string, InfraSource]> => {
    if (process.env.CLICKHOUSE_URL) return [process.env.CLICKHOUSE_URL, "env"]
    if (docker) {
      const container = await startClickHouseContainer(local.biPassword)
      started.push(container.stop)
      return [container.address, "testcontainers"]
    }
    if (!wasRunning("clickhouse")) started.push(() => runLocal(local.downClickHouse).then(() => undefined))
    await runLocal(local.upClickHouse)
    return [local.clickhouseUrl, "local"]
  }

  const release = async () => {
    for (const stop of started.reverse()) await stop()
  }
  // Both start at once; when one fails, what the other started is stopped before the run fails.
  const [kafka, clickhouse] = await Promise.allSettled([resolveKafka(), resolveClickHouse()])
  if (kafka.status === "rejected" || clickhouse.status === "rejected") {
    await release()
    throw kafka.status === "rejected" ? kafka.reason : (clickhouse as PromiseRejectedResult).reason
  }
  const [kafkaBrokers, kafkaSource] = kafka.value
  const [clickhouseUrl, clickhouseSource] = clickhouse.value
  const infra: TestInfra = {
    kafkaBrokers,
    clickhouseUrl,
    clickhouseBiUser: process.env.CLICKHOUSE_BI_USER ?? "bi",
    clickhouseBiPassword: process.env.CLICKHOUSE_BI_PASSWORD ?? local.biPassword,
    kafkaSource,
    clickhouseSource
  }
  console.log(
    `test infrastructure: Kafka ${kafkaBrokers} (${kafkaSource}), ClickHouse ${clickhouseUrl} (${clickhouseSource})`
  )
  return { infra, release }
}

export default async function setup(project: TestProject) {
  users += 1
  shared ??= acquire()
  const { infra } = await shared
  project.provide("testInfra", infra)
  return async () => {
    users -= 1
    if (users === 0 && shared !== undefined) {
      const { release } = await shared
      shared = undefined
      await release()
    }
  }
}
