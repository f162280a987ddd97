import type { Row } from "@xpscore/clickhouse"
import type { ScoreRecord, XpEvent } from "@xpscore/events"

/** DateTime holds whole seconds from 1970 to 2106; the exact time stays in the *_ms column beside it. */
const dateTimeSeconds = (ms: number) => Math.min(4_294_967_295, Math.max(0, Math.floor(ms / 1000)))

/** The UTC calendar day, computed here so that no server time zone can shift it. */
const utcDay = (ms: number) => new Date(dateTimeSeconds(ms) * 1000).toISOString().slice(0, 10)

const flag = (value: boolean) => (value ? 1 : 0)

/** One score_history row per score record (see the columns in libs/clickhouse migrations). */
export const scoreHistoryRow = (record: ScoreRecord, partition: number, offset: string): Row => ({
  customer_id: record.customerId,
  seq: record.seq,
  event_id: record.eventId,
  event_source: record.eventSource,
  event_type: record.eventType,
  event_time_ms: record.eventTimeMs,
  event_time: dateTimeSeconds(record.eventTimeMs),
  event_date: utcDay(record.eventTimeMs),
  channel: record.channel,
  segment: record.segment,
  score: record.score,
  previous_score: record.previousScore,
  score_index: record.index,
  impression: record.impression,
  recovery: record.recovery,
  late: flag(record.flags.late),
  duplicate: flag(record.flags.duplicate),
  orphan_resolution: flag(record.flags.orphanResolution),
  t_ref_ms: record.components.tRefMs,
  s_pos: record.components.sPos,
  s_neg: record.components.sNeg,
  w: record.components.w,
  p_pos: record.components.pPos,
  p_neg: record.components.pNeg,
  last_t_ms: record.components.lastTMs,
  last_v: record.components.lastV,
  half_life_pos_ms: record.formula.halfLifePosMs,
  half_life_neg_ms: record.formula.halfLifeNegMs,
  half_life_end_pos_ms: record.formula.halfLifeEndPosMs,
  neutral_weight: record.formula.neutralWeight,
  weight_average: record.formula.weightAverage,
  weight_end: record.formula.weightEnd,
  weight_peak: record.formula.weightPeak,
  gain: record.formula.gain,
  model_version: record.modelVersion,
  kafka_partition: partition,
  kafka_offset: Number(offset)
})

/** One interactions row per decoded interaction event; `data` is the current version's payload as JSON. */
export const interactionRow = (event: XpEvent, partition: number, offset: string): Row => ({
  event_source: event.source,
  event_id: event.id,
  event_type: event.type,
  customer_id: event.subject,
  event_time_ms: event.timeMs,
  event_time: dateTimeSeconds(event.timeMs),
  event_date: utcDay(event.timeMs),
  channel: event.channel ?? null,
  segment: event.segment ?? null,
  data: JSON.stringify(event.data),
  kafka_partition: partition,
  kafka_offset: Number(offset)
})
