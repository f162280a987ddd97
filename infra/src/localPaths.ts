import * as path from "node:path"
import { fileURLToPath } from "node:url"

/** The repository root, resolved from this file so it works from any working directory. */
export const repoRoot = fileURLToPath(new URL("../../", import.meta.url))

/** Templates and build files for the local infrastructure, committed under infra/. */
export const infraTemplates = {
  kafkaPom: path.join(repoRoot, "infra/kafka/pom.xml"),
  kafkaServerProperties: path.join(repoRoot, "infra/kafka/server.properties"),
  kafkaLog4j: path.join(repoRoot, "infra/kafka/log4j.properties"),
  clickhouseConfig: path.join(repoRoot, "infra/clickhouse/config.xml"),
  clickhouseUsers: path.join(repoRoot, "infra/clickhouse/users.xml")
} as const
