import { consumerFetchesChannel, Consumer as PlatformaticConsumer } from "@platformatic/kafka"
import type { Kafka } from "kafkajs"

/**
 * The ceiling: how fast a client only reads the input topic, from its
 * beginning, in a fresh group, counting records and doing nothing else.
 * The clock runs from the client's first fetch request to the last record
 * handed over, and every record counts, so group joining is not in it (as
 * it is not in the scorer's figure either). Not from the first records
 * handed over: a client hands a fetch's records over once it has decoded
 * all of them, and an input of one or two fetches (the quick run's) would
 * be read in no time at all. Fetch sizes are the scorer's defaults (4 MiB
 * per partition).
 */
export interface ConsumptionFigure {
  readonly records: number
  readonly seconds: number
  readonly eventsPerSecond: number
}

const FETCH_BYTES_PER_PARTITION = 4_194_304

const figure = (client: string, records: number, startedAt: number, endedAt: number): ConsumptionFigure => {
  // Both hooks are the clients' own instrumentation: a version without them must not pass for a fast one.
  if (startedAt === 0)
    throw new Error(`the ${client} consumer announced no fetch request: the ceiling's clock has no start`)
  const seconds = (endedAt - startedAt) / 1000
  return { records, seconds, eventsPerSecond: records / seconds }
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
    let startedAt = 0
    consumer.on(consumer.events.FETCH_START, () => {
      if (startedAt === 0) startedAt = performance.now()
    })
    const endedAt = await new Promise<number>((resolve, reject) => {
      consumer
        .run({
          partitionsConsumedConcurrently: options.partitions,
          eachBatch: async ({ batch }) => {
            seen += batch.messages.length
            if (seen >= options.records) resolve(performance.now())
          }
        })
        .catch(reject)
    })
    return figure("kafkajs", seen, startedAt, endedAt)
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
  let startedAt = 0
  const fetchStarts = (context: unknown) => {
    if (startedAt === 0 && (context as { client?: unknown }).client === consumer) startedAt = performance.now()
  }
  consumerFetchesChannel.start.subscribe(fetchStarts)
  try {
    const stream = await consumer.consume({ topics: [options.topic], mode: "earliest", autocommit: false })
    let seen = 0
    const endedAt = await new Promise<number>((resolve, reject) => {
      stream.on("data", () => {
        seen++
        if (seen === options.records) resolve(performance.now())
      })
      stream.on("error", reject)
    })
    await stream.close()
    return figure("@platformatic/kafka", seen, startedAt, endedAt)
  } finally {
    consumerFetchesChannel.start.unsubscribe(fetchStarts)
    await consumer.close(true)
  }
}
