import type { ScoreRecord } from "@xpscore/events"
import { describe, expect, it } from "vitest"
import { scoreHistoryRow } from "../src/projectionRows.ts"

const record: ScoreRecord = {
  customerId: "'); DROP TABLE x; --",
  seq: 3,
  eventId: "evt-9",
  eventSource: "support-desk",
  eventType: "xp.issue.resolved.v1",
  // 23:59:59.999 UTC: the day must not move with any time zone
  eventTimeMs: Date.UTC(2024, 1, 29, 23, 59, 59, 999),
  channel: null,
  segment: "smb",
  score: 65.2,
  previousScore: 16.7,
  index: 0.27,
  impression: 0.35,
  recovery: "paradox",
  flags: { late: false, duplicate: true, orphanResolution: true },
  components: { tRefMs: 1, sPos: 2, sNeg: -3, w: 4, pPos: 0.5, pNeg: -0.6, lastTMs: 1, lastV: 0.35 },
  formula: {
    halfLifePosMs: 2_592_000_000,
    halfLifeNegMs: 5_184_000_000,
    halfLifeEndPosMs: 1_209_600_000,
    neutralWeight: 1,
    weightAverage: 0.5,
    weightEnd: 0.3,
    weightPeak: 0.2,
    gain: 1.2
  },
  modelVersion: "m1-test"
}

describe("scoreHistoryRow", () => {
  it("given a score record, keeps its values and names them as the score_history columns", () => {
    const row = scoreHistoryRow(record, 2, "12345")
    expect(row).toMatchObject({
      customer_id: "'); DROP TABLE x; --",
      seq: 3,
      event_time_ms: Date.UTC(2024, 1, 29, 23, 59, 59, 999),
      event_time: Math.floor(Date.UTC(2024, 1, 29, 23, 59, 59) / 1000),
      event_date: "2024-02-29",
      channel: null,
      segment: "smb",
      score: 65.2,
      previous_score: 16.7,
      score_index: 0.27,
      recovery: "paradox",
      late: 0,
      duplicate: 1,
      orphan_resolution: 1,
      s_neg: -3,
      half_life_neg_ms: 5_184_000_000,
      model_version: "m1-test",
      kafka_partition: 2,
      kafka_offset: 12345
    })
  })
})
