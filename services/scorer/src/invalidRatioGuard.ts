import { Schema } from "effect"

/**
 * The scorer dead-letters bad records and goes on; but when a large share
 * of the stream is bad, the cause is a broken producer or a scorer too old
 * for what is sent, and dead-lettering everything would only move the whole
 * stream aside. This error stops the scorer instead, before the batch that
 * crossed the ceiling is committed: nothing of it is dead-lettered, and a
 * fixed deployment processes it.
 */
export class InvalidRatioExceeded extends Schema.TaggedError<InvalidRatioExceeded>()("InvalidRatioExceeded", {
  invalid: Schema.Int,
  records: Schema.Int,
  maxRatio: Schema.Number,
  topic: Schema.String,
  partition: Schema.Int,
  firstOffset: Schema.String,
  lastOffset: Schema.String,
  example: Schema.String
}) {
  override get message() {
    const percent = ((100 * this.invalid) / this.records).toFixed(1)
    return (
      `${this.invalid} of the last ${this.records} records (${percent}%) are invalid, above the ceiling ` +
      `XPSCORE_SCORER_MAX_INVALID_RATIO=${this.maxRatio}; stopping rather than dead-lettering a broken stream. ` +
      `The batch that crossed it (${this.topic} partition ${this.partition}, offsets ${this.firstOffset}–${this.lastOffset}) ` +
      `is not committed. For example: ${this.example}. Fix the producer (or deploy a scorer that reads its events), ` +
      "or raise the ceiling."
    )
  }
}

/** Below this many records a ratio says little (10 % poison gives 25 % in 200 records about once in 10^12). */
const MINIMUM_SAMPLE = 200

/**
 * The share of invalid records over the last `window` records (counted in
 * whole committed batches, across the scorer's partitions). A batch is
 * judged together with the window before it is committed, and joins the
 * window once it is.
 */
export class InvalidRatioGuard {
  readonly maxRatio: number
  readonly window: number
  private readonly batches: Array<{ readonly records: number; readonly invalid: number }> = []
  private records = 0
  private invalid = 0

  constructor(maxRatio: number, window: number) {
    this.maxRatio = maxRatio
    this.window = window
  }

  /** The counts the ceiling is checked against with this batch added, when they exceed it. */
  exceededWith(records: number, invalid: number): { readonly records: number; readonly invalid: number } | undefined {
    if (invalid === 0) return undefined
    const total = this.records + records
    const bad = this.invalid + invalid
    if (total < Math.min(this.window, MINIMUM_SAMPLE)) return undefined
    return bad > this.maxRatio * total ? { records: total, invalid: bad } : undefined
  }

  /** A committed batch joins the window; the oldest batches leave it while the rest still fill it. */
  record(records: number, invalid: number): void {
    if (records === 0) return
    this.batches.push({ records, invalid })
    this.records += records
    this.invalid += invalid
    while (this.batches.length > 1 && this.records - this.batches[0]!.records >= this.window) {
      const oldest = this.batches.shift()!
      this.records -= oldest.records
      this.invalid -= oldest.invalid
    }
  }
}
