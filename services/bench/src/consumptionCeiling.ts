import { Consumer as PlatformaticConsumer } from "@platformatic/kafka"
import type { Kafka } from "kafkajs"

/**
 * The ceiling: how fast a client only reads the input topic, from its
 * beginning, in a fresh group, counting records and doing nothing else.
 * The clock runs from the first records handed over to the last, so group
 * joining is not in it (as it is not in the scorer's figure either). Fetch
 * sizes are the scorer's defaults (4 MiB per partition).
 */
export interface ConsumptionFigure {
  readonly records: number
  readonly seconds: number
  readonly eventsPerSecond: number
}

const FETCH_BYTES_PER_PARTITION = 4_194_304

/**
 * The clock starts when the first records arrive, so those are not counted
 * in the rate (as the scorer's figure leaves out its first commit).
 */
const figure = (records: number, first: number, startedAt: number, endedAt: number): ConsumptionFigure => {
  const seconds = (endedAt - startedAt) / 1000
  return { records, seconds, eventsPerSecond: (records - first) / seconds }
}

/** kafkajs `eachBatch` that only counts: the client the scorer runs on. */
export const kafkajsCeiling = async (
  kafka: Kafka,
  options: { topic: string; groupId: string; records: number; partitions: number }
): Promise<ConsumptionFigure> => {
  const consumer = kafka.consumer({
    groupId: options.groupId,
    maxBytesPerPartition: FETCH_BYTES_PER_PARTITION,
    maxBytes: FETCH_BYTES_PER_PARTITION * options.partitions
  })
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [options.topic], fromBeginning: true })
    let seen = 0
    let first = 0
    let startedAt = 0
    const endedAt = await new Promise<number>((resolve, reject) => {
      consumer
        .run({
          partitionsConsumedConcurrently: options.partitions,
          eachBatch: async ({ batch }) => {
            if (startedAt === 0) {
              startedAt = performance.now()
              first = batch.messages.length
            }
            seen += batch.messages.length
            if (seen >= options.records) resolve(performance.now())
          }
        })
        .catch(reject)
    })
    return figure(seen, first, startedAt, endedAt)
  } finally {
    await consumer.disconnect()
  }
}

/**
 * @platformatic/kafka's consumer stream that only counts, on the same
 * topic: tells whether kafkajs is the wall (the question).
 */
export const platformaticCeiling = async (options: {
  brokers: ReadonlyArray<string>
  topic: string
  groupId: string
  records: number
}): Promise<ConsumptionFigure> => {
  const consumer = new PlatformaticConsumer({
    groupId: options.groupId,
    clientId: "xpscore-bench",
    bootstrapBrokers: [...options.brokers],
    maxBytesPerPartition: FETCH_BYTES_PER_PARTITION
  })
  try {
    const stream = await consumer.consume({ topics: [options.topic], mode: "earliest", autocommit: false })
    let seen = 0
    let startedAt = 0
    const endedAt = await new Promise<number>((resolve, reject) => {
      stream.on("data", () => {
        if (startedAt === 0) startedAt = performance.now()
        seen++
        if (seen === options.records) resolve(performance.now())
      })
      stream.on("error", reject)
    })
    await stream.close()
    return figure(seen, 1, startedAt, endedAt)
  } finally {
    await consumer.close(true)
  }
}
