import { createRequire } from "node:module"

/**
 * A fix for kafkajs 2.2.4's read_committed filtering, which hands consumers
 * records of aborted transactions when transactions of several producers
 * interleave on one partition. The scorer's dead-letter topic is such a
 * partition: one partition, written by the transactional producer of every
 * input partition. Found by the fault suite: a scorer SIGKILLed with several
 * transactions open left aborted dead letters that `readToEnd` (and so
 * `xpscore dead-letters`) returned beside the committed ones.
 *
 * The broker's fetch response lists the aborted transactions in the range,
 * each as its producer id and first offset, in the order their abort markers
 * were written, not by first offset. The Java consumer puts them in a queue
 * ordered by first offset and, before each batch, takes every transaction
 * starting at or before it. kafkajs (consumer/filterAbortedMessages.js) takes
 * only the head of the list as given, and only one per record: a record of
 * an aborted transaction is kept whenever another aborted transaction is at
 * the head, or was due first.
 *
 * The fix rewrites each response's list before kafkajs reads it: every
 * aborted transaction is moved to the first record its producer has in the
 * response at or after its first offset (no such record: left out, the next
 * fetch lists it again), ordered by that. Each record then starts at most the
 * one transaction its own producer began there, and kafkajs' one-per-record
 * walk takes each exactly when its first record arrives, as Java does.
 */

export interface AbortedTransaction {
  readonly producerId: string
  readonly firstOffset: string
}

export interface FetchedRecord {
  readonly offset: string
  readonly batchContext?: { readonly producerId?: string }
}

/** The aborted transactions of one partition's fetch, as kafkajs' filter needs them (see above). */
export const alignAbortedTransactions = (
  records: ReadonlyArray<FetchedRecord>,
  aborted: ReadonlyArray<AbortedTransaction>
): Array<AbortedTransaction> => {
  const aligned: Array<AbortedTransaction & { readonly at: bigint }> = []
  const byFirstOffset = [...aborted].sort((a, b) => compare(BigInt(a.firstOffset), BigInt(b.firstOffset)))
  // where each producer's next transaction may start: a producer's transactions do not overlap
  const claimedUpTo = new Map<string, bigint>()
  for (const transaction of byFirstOffset) {
    const from = BigInt(transaction.firstOffset)
    const after = claimedUpTo.get(transaction.producerId) ?? -1n
    const first = records.find((record) => {
      const offset = BigInt(record.offset)
      return record.batchContext?.producerId === transaction.producerId && offset >= from && offset > after
    })
    if (first === undefined) continue
    const at = BigInt(first.offset)
    claimedUpTo.set(transaction.producerId, at)
    aligned.push({ producerId: transaction.producerId, firstOffset: first.offset, at })
  }
  return aligned.sort((a, b) => compare(a.at, b.at)).map(({ producerId, firstOffset }) => ({ producerId, firstOffset }))
}

const compare = (a: bigint, b: bigint) => (a < b ? -1 : a > b ? 1 : 0)

interface FetchResponse {
  readonly responses?: ReadonlyArray<{
    readonly partitions?: ReadonlyArray<{
      abortedTransactions?: ReadonlyArray<AbortedTransaction>
      readonly messages?: ReadonlyArray<FetchedRecord>
    }>
  }>
}

const INSTALLED = Symbol.for("xpscore.kafkajs.alignedAbortedTransactions")

/**
 * Wraps kafkajs' `Broker#fetch` (shared by every client of this kafkajs) so
 * that every fetch response carries the aligned lists. Idempotent.
 */
export const installAbortedTransactionsFix = () => {
  const require = createRequire(import.meta.url)
  const Broker = require("kafkajs/src/broker/index.js") as {
    prototype: Record<PropertyKey, unknown> & { fetch: (...args: Array<unknown>) => Promise<FetchResponse> }
  }
  if (Broker.prototype[INSTALLED] === true) return
  const fetch = Broker.prototype.fetch
  Broker.prototype.fetch = async function (this: unknown, ...args: Array<unknown>) {
    const response = await fetch.apply(this, args)
    for (const topic of response.responses ?? []) {
      for (const partition of topic.partitions ?? []) {
        if (partition.abortedTransactions !== undefined && partition.abortedTransactions.length > 0) {
          partition.abortedTransactions = alignAbortedTransactions(
            partition.messages ?? [],
            partition.abortedTransactions
          )
        }
      }
    }
    return response
  }
  Broker.prototype[INSTALLED] = true
}
