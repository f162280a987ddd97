import { randomBytes } from "node:crypto"

/**
 * A KRaft cluster id: 16 random bytes in base64url, the form Kafka's own
 * `kafka-storage random-uuid` prints. One in 64 such ids starts with `-`,
 * which kafka-storage's argument parser reads as an option (the format then
 * fails with "expected one argument"); Kafka's generator skips those ids for
 * the same reason, and so does this one.
 */
export const kafkaClusterId = (random: (size: number) => Uint8Array = randomBytes): string => {
  for (;;) {
    const id = Buffer.from(random(16)).toString("base64url")
    if (!id.startsWith("-")) return id
  }
}
