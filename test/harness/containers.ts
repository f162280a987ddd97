import * as fs from "node:fs"
import * as net from "node:net"

/**
 * Testcontainers is used only when a Docker engine answers: a docker client
 * alone (as on machines without an engine) must not send the harness into a
 * long wait.
 */
export const dockerEngineAnswers = async (): Promise<boolean> => {
  if (process.env.DOCKER_HOST === undefined && !fs.existsSync("/var/run/docker.sock")) return false
  try {
    const { getContainerRuntimeClient } = await import("testcontainers")
    const client = await Promise.race([
      getContainerRuntimeClient(),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), 15_000))
    ])
    return client !== undefined
  } catch {
    return false
  }
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject()))
    })
  })

export interface StartedContainer {
  readonly address: string
  readonly stop: () => Promise<void>
}

/**
 * apache/kafka in KRaft mode. The advertised listener must carry the port
 * the host sees, so the host port is chosen before the container starts.
 */
export const startKafkaContainer = async (): Promise<StartedContainer> => {
  const { GenericContainer, Wait } = await import("testcontainers")
  const hostPort = await freePort()
  const container = await new GenericContainer("apache/kafka:3.9.2")
    .withExposedPorts({ container: 9092, host: hostPort })
    .withEnvironment({
      KAFKA_NODE_ID: "1",
      KAFKA_PROCESS_ROLES: "broker,controller",
      KAFKA_LISTENERS: "PLAINTEXT://0.0.0.0:9092,CONTROLLER://0.0.0.0:9093",
      KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${hostPort}`,
      KAFKA_CONTROLLER_LISTENER_NAMES: "CONTROLLER",
      KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
      KAFKA_CONTROLLER_QUORUM_VOTERS: "1@localhost:9093",
      KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: "1",
      KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: "1",
      KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: "1",
      KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: "0",
      KAFKA_AUTO_CREATE_TOPICS_ENABLE: "false"
    })
    .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
    .withStartupTimeout(180_000)
    .start()
  return { address: `127.0.0.1:${hostPort}`, stop: async () => void (await container.stop()) }
}

/** The current ClickHouse LTS image, with the same read-only `bi` user as the local server. */
export const startClickHouseContainer = async (biPassword: string): Promise<StartedContainer> => {
  const { ClickHouseContainer } = await import("@testcontainers/clickhouse")
  const biUser = `<clickhouse><profiles><bi><readonly>2</readonly></bi></profiles><users><bi><password>${biPassword}</password><networks><ip>::/0</ip></networks><profile>bi</profile><quota>default</quota></bi></users></clickhouse>`
  const container = await new ClickHouseContainer("clickhouse/clickhouse-server:26.8")
    .withUsername("default")
    .withPassword("")
    .withCopyContentToContainer([{ content: biUser, target: "/etc/clickhouse-server/users.d/bi.xml" }])
    .start()
  return { address: container.getHttpUrl(), stop: async () => void (await container.stop()) }
}
