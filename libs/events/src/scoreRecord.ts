import { Schema } from "effect"

/**
 * The numbers of a customer's state from which the score at any later time
 * is a closed formula (scoring-model.md, "State and decay"): decayed sums and
 * peaks anchored at `tRefMs`, and the last impression. The projection stores
 * them so that ClickHouse can show the score "as of now" without the scorer
 * emitting timer updates.
 */
export const ScoreComponents = Schema.Struct({
  /** the latest event time seen, epoch ms: every sum below is anchored here */
  tRefMs: Schema.Int,
  /** S⁺: Σ w·v·2^(−(tRef−t)/h⁺) over v ≥ 0 */
  sPos: Schema.Finite,
  /** S⁻: Σ w·v·2^(−(tRef−t)/h⁻) over v < 0 */
  sNeg: Schema.Finite,
  /** W: Σ w·2^(−(tRef−t)/h⁻) */
  w: Schema.Finite,
  /** P⁺: decayed maximum of closed positive impressions */
  pPos: Schema.Finite,
  /** P⁻: decayed minimum of closed negative and open provisional impressions */
  pNeg: Schema.Finite,
  /** time of the last impression (greatest (t, id)), epoch ms; equals tRefMs when there is none */
  lastTMs: Schema.Int,
  /** value of the last impression; 0 when there is none */
  lastV: Schema.Finite
})
export type ScoreComponents = typeof ScoreComponents.Type

/**
 * The model parameters the closed formula reads (scoring-model.md, "At any
 * time T ≥ t_ref"). Every record carries them, so a projected row computes
 * its score at any time on its own, whatever model version wrote it.
 */
export const ScoreFormula = Schema.Struct({
  /** h⁺, h⁻ and h_end⁺ in milliseconds */
  halfLifePosMs: Schema.Finite,
  halfLifeNegMs: Schema.Finite,
  halfLifeEndPosMs: Schema.Finite,
  /** W0: the neutral weight in the average's denominator */
  neutralWeight: Schema.Finite,
  /** ω_avg, ω_end, ω_peak */
  weightAverage: Schema.Finite,
  weightEnd: Schema.Finite,
  weightPeak: Schema.Finite,
  /** g in score = 50 + 50·tanh(g·X) */
  gain: Schema.Finite
})
export type ScoreFormula = typeof ScoreFormula.Type

/** Which recovery branch a resolution took (scoring-model.md, "Recovery"). */
export const RecoveryBranch = Schema.Literals(["paradox", "partial", "doubleDeviation"])
export type RecoveryBranch = typeof RecoveryBranch.Type

/**
 * One record of the append-only scores log: the outcome of one interaction
 * event for one customer. Key = customer id; value = this record as JSON.
 * `seq` numbers a customer's records 1, 2, 3, … with no gaps, so that a
 * consumer can detect loss and deduplicate replays by (customerId, seq).
 */
export const ScoreRecord = Schema.Struct({
  customerId: Schema.String,
  seq: Schema.Int.check(Schema.isGreaterThanOrEqualTo(1)),
  /** the causing event: identity, type (versioned CloudEvents type) and event time */
  eventId: Schema.String,
  eventSource: Schema.String,
  eventType: Schema.String,
  eventTimeMs: Schema.Int,
  /** CloudEvents extension attributes carried for BI rollups */
  channel: Schema.NullOr(Schema.String),
  segment: Schema.NullOr(Schema.String),
  /** the score (0–100) and index X as of tRef, after this event */
  score: Schema.Finite,
  /** the score of this customer's previous record (50 before the first): BI finds threshold crossings without window functions */
  previousScore: Schema.Finite,
  index: Schema.Finite,
  /** the impression v this event contributed; null when it contributed none (duplicate, orphan resolution) */
  impression: Schema.NullOr(Schema.Finite),
  /** for an issue resolution: the recovery branch taken */
  recovery: Schema.NullOr(RecoveryBranch),
  flags: Schema.Struct({
    /** older than the allowed lateness: entered the sums only */
    late: Schema.Boolean,
    /** same (source, id) seen before within the dedup horizon: not applied */
    duplicate: Schema.Boolean,
    /** a resolution of an issue the state does not know: no score effect */
    orphanResolution: Schema.Boolean
  }),
  components: ScoreComponents,
  formula: ScoreFormula,
  /** the model parameter set's version id */
  modelVersion: Schema.String
})
export type ScoreRecord = typeof ScoreRecord.Type
