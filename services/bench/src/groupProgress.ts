import type { Admin } from "kafkajs"

/**
 * How far a consumer group has committed, read with the admin client: the
 * figures that run a service take their clock from these commits (what the
 * service has made durable), not from its logs.
 */
export const committedRecords = async (admin: Admin, groupId: string, topic: string): Promise<number> => {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
  return (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)
}

/** The end offset of every partition of `topic`. */
export const endOffsets = async (admin: Admin, topic: string): Promise<Map<number, number>> =>
  new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, Number(p.high)]))

/** True when the group has committed up to `ends` on every partition. */
export const caughtUp = async (
  admin: Admin,
  groupId: string,
  topic: string,
  ends: ReadonlyMap<number, number>
): Promise<boolean> => {
  const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] })
  const committed = new Map((entry?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]))
  for (const [partition, end] of ends) if ((committed.get(partition) ?? -1) < end) return false
  return true
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/**
 * Polls until `done()` holds, failing when `failed()` reports a stopped
 * service or nothing was done for `stallMs` (the bench must not hang on a
 * broken run).
 */
export const waitFor = async (
  what: string,
  done: () => Promise<boolean>,
  options: { readonly failed?: () => unknown; readonly stallMs?: number; readonly pollMs?: number } = {}
) => {
  const deadline = Date.now() + (options.stallMs ?? 180_000)
  while (!(await done())) {
    const failure = options.failed?.()
    if (failure !== undefined) throw new Error(`${what}: a service stopped: ${String(failure)}`)
    if (Date.now() > deadline) throw new Error(`${what}: not done after ${(options.stallMs ?? 180_000) / 1000} s`)
    await sleep(options.pollMs ?? 50)
  }
}
