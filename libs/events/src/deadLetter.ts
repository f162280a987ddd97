import { Result, Schema } from "effect"
import { RejectionRule } from "./rules.ts"
import { formatTimestamp, parseTimestamp } from "./timestamp.ts"

/**
 * A dead letter is the original record (key, value and headers unchanged)
 * on the dead-letter topic, plus the headers below, all starting with
 * `xpscore-dlq-`. This module is the one place that names them and formats
 * the reason: the scorer writes them, `xpscore dead-letters list|show|redrive`
 * reads them, and a re-drive strips exactly them to restore the original.
 *
 * | header | value |
 * | --- | --- |
 * | `xpscore-dlq-reason` | `path: rule: detail`, e.g. `data.quality: range: expected …, got 7` |
 * | `xpscore-dlq-path` | the offending field (`$` for the whole record) |
 * | `xpscore-dlq-rule` | a rejection rule (`rules.ts`) or `key-mismatch` |
 * | `xpscore-dlq-step` | where it failed: `decode` or `route` |
 * | `xpscore-dlq-source-topic` | the topic it was read from |
 * | `xpscore-dlq-source-partition` | its partition (decimal) |
 * | `xpscore-dlq-source-offset` | its offset (decimal, 64-bit) |
 * | `xpscore-dlq-consumer-group` | the consumer group that read it |
 * | `xpscore-dlq-time` | when it was dead-lettered, RFC 3339 UTC with milliseconds |
 */
export const DEAD_LETTER_HEADER_PREFIX = "xpscore-dlq-"

export const deadLetterHeaderNames = {
  reason: "xpscore-dlq-reason",
  path: "xpscore-dlq-path",
  rule: "xpscore-dlq-rule",
  step: "xpscore-dlq-step",
  sourceTopic: "xpscore-dlq-source-topic",
  sourcePartition: "xpscore-dlq-source-partition",
  sourceOffset: "xpscore-dlq-source-offset",
  consumerGroup: "xpscore-dlq-consumer-group",
  time: "xpscore-dlq-time"
} as const

/**
 * Headers a dead letter carries only when it could not keep the original
 * whole. The dead-letter topic refuses records above its message.max.bytes
 * (1 MiB by default) while the source topic may accept bigger ones (its own
 * max.message.bytes raised): a 10 MB record must still become a dead letter,
 * not a transaction that fails forever. Each header holds the original size
 * in bytes (decimal) of what was cut: the stored value or key is the
 * original's first bytes, original headers are dropped whole. The original
 * itself stays on the source topic at the coordinates the letter names.
 *
 * | header | present when |
 * | --- | --- |
 * | `xpscore-dlq-original-value-bytes` | the value is only the original's first bytes |
 * | `xpscore-dlq-original-key-bytes` | the key is only the original's first bytes |
 * | `xpscore-dlq-original-headers-bytes` | the original headers were dropped |
 */
export const deadLetterTruncationHeaderNames = {
  valueBytes: "xpscore-dlq-original-value-bytes",
  keyBytes: "xpscore-dlq-original-key-bytes",
  headersBytes: "xpscore-dlq-original-headers-bytes"
} as const

/** What a dead letter had to cut of its original, with the original sizes in bytes. */
export interface DeadLetterTruncation {
  readonly valueBytes?: number
  readonly keyBytes?: number
  readonly headersBytes?: number
}

/**
 * Where a record failed:
 * - `decode`: the bytes are not a valid event of the reader's registry (the
 *   rule is one of the rejection rules);
 * - `route`: a valid event under a key other than its `subject` (rule
 *   `key-mismatch`): its customer's other events, hence its state, live in
 *   the partition of the subject, so folding it here would split the state.
 */
export const DeadLetterStep = Schema.Literals(["decode", "route"])
export type DeadLetterStep = typeof DeadLetterStep.Type

export const DeadLetterRule = Schema.Union([RejectionRule, Schema.Literal("key-mismatch")])
export type DeadLetterRule = typeof DeadLetterRule.Type

/** Why a record was dead-lettered: the same three parts an `EventRejected` has. */
export interface DeadLetterReason {
  readonly step: DeadLetterStep
  readonly path: string
  readonly rule: DeadLetterRule
  readonly detail: string
}

/** Where the record came from and who dead-lettered it when. */
export interface DeadLetterSource {
  readonly topic: string
  readonly partition: number
  /** Kafka offsets are 64-bit: kept as the decimal string kafkajs gives */
  readonly offset: string
  readonly consumerGroup: string
  readonly timeMs: number
}

export interface DeadLetterInfo extends DeadLetterReason {
  readonly source: DeadLetterSource
  /** present when the letter could not keep the whole original (too large for the dead-letter topic) */
  readonly truncated?: DeadLetterTruncation
}

/** `path: rule: detail`: the form producers see from the SDK and `xpscore produce` too. */
export const formatDeadLetterReason = (reason: Pick<DeadLetterReason, "path" | "rule" | "detail">): string =>
  `${reason.path}: ${reason.rule}: ${reason.detail}`

/** The record's key is not its event's subject (or it has none). */
export const keyMismatch = (key: string | null, subject: string): DeadLetterReason => ({
  step: "route",
  path: "subject",
  rule: "key-mismatch",
  detail:
    key === null
      ? `the record has no key; it must be the subject ${JSON.stringify(subject)} (the customer id), so that all of a customer's events share a partition`
      : `the record key ${JSON.stringify(key)} is not the subject ${JSON.stringify(subject)}; the key must be the customer id, so that all of a customer's events share a partition`
})

/** The headers a dead letter adds to the original record's. */
export const deadLetterHeaders = (info: DeadLetterInfo): Record<string, string> => ({
  [deadLetterHeaderNames.reason]: formatDeadLetterReason(info),
  [deadLetterHeaderNames.path]: info.path,
  [deadLetterHeaderNames.rule]: info.rule,
  [deadLetterHeaderNames.step]: info.step,
  [deadLetterHeaderNames.sourceTopic]: info.source.topic,
  [deadLetterHeaderNames.sourcePartition]: String(info.source.partition),
  [deadLetterHeaderNames.sourceOffset]: info.source.offset,
  [deadLetterHeaderNames.consumerGroup]: info.source.consumerGroup,
  [deadLetterHeaderNames.time]: formatTimestamp(info.source.timeMs)
})

/** Whether a header is one of the dead-letter headers (a re-drive removes exactly these). */
export const isDeadLetterHeader = (name: string): boolean => name.startsWith(DEAD_LETTER_HEADER_PREFIX)

/** A dead letter that lacks a header or has a malformed one: it was not written by xpscore. */
export class DeadLetterUnreadable extends Schema.TaggedError<DeadLetterUnreadable>()("DeadLetterUnreadable", {
  header: Schema.String,
  detail: Schema.String
}) {
  override get message() {
    return `not an xpscore dead letter: header ${this.header} ${this.detail}`
  }
}

const decodeStep = Schema.decodeUnknownOption(DeadLetterStep)
const decodeRule = Schema.decodeUnknownOption(DeadLetterRule)
const DECIMAL = /^(0|[1-9][0-9]*)$/

/**
 * Reads the dead-letter headers back (header values as UTF-8 text). The
 * inverse of {@link deadLetterHeaders}: `detail` is recovered from the
 * reason by removing the `path: rule: ` it starts with.
 */
export const readDeadLetter = (
  headers: Readonly<Record<string, string | undefined>>
): Result.Result<DeadLetterInfo, DeadLetterUnreadable> => {
  const missing = Object.values(deadLetterHeaderNames).find((name) => headers[name] === undefined)
  if (missing !== undefined) return Result.fail(new DeadLetterUnreadable({ header: missing, detail: "is missing" }))
  const h = headers as Record<string, string>
  const bad = (header: string, detail: string) => Result.fail(new DeadLetterUnreadable({ header, detail }))
  const step = decodeStep(h[deadLetterHeaderNames.step])
  if (step._tag === "None") return bad(deadLetterHeaderNames.step, "is neither decode nor route")
  const rule = decodeRule(h[deadLetterHeaderNames.rule])
  if (rule._tag === "None") return bad(deadLetterHeaderNames.rule, "names no known rule")
  const path = h[deadLetterHeaderNames.path]!
  const reason = h[deadLetterHeaderNames.reason]!
  const head = `${path}: ${rule.value}: `
  if (!reason.startsWith(head)) return bad(deadLetterHeaderNames.reason, `does not start with "${head}"`)
  const partition = h[deadLetterHeaderNames.sourcePartition]!
  if (!DECIMAL.test(partition) || Number(partition) > 2_147_483_647) {
    return bad(deadLetterHeaderNames.sourcePartition, "is not a partition number")
  }
  const offset = h[deadLetterHeaderNames.sourceOffset]!
  if (!DECIMAL.test(offset)) return bad(deadLetterHeaderNames.sourceOffset, "is not an offset")
  const timeMs = parseTimestamp(h[deadLetterHeaderNames.time]!)
  if (timeMs === undefined) return bad(deadLetterHeaderNames.time, "is not an RFC 3339 UTC time with milliseconds")
  const truncated: { -readonly [K in keyof DeadLetterTruncation]: number } = {}
  for (const [part, header] of Object.entries(deadLetterTruncationHeaderNames) as Array<
    [keyof DeadLetterTruncation, string]
  >) {
    const bytes = headers[header]
    if (bytes === undefined) continue
    if (!DECIMAL.test(bytes)) return bad(header, "is not a size in bytes")
    truncated[part] = Number(bytes)
  }
  return Result.succeed({
    step: step.value,
    path,
    rule: rule.value,
    detail: reason.slice(head.length),
    source: {
      topic: h[deadLetterHeaderNames.sourceTopic]!,
      partition: Number(partition),
      offset,
      consumerGroup: h[deadLetterHeaderNames.consumerGroup]!,
      timeMs
    },
    ...(Object.keys(truncated).length === 0 ? {} : { truncated })
  })
}
