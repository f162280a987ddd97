/**
 * A token bucket: tokens accrue at `ratePerSecond` up to `capacity`, and a
 * sender takes as many as it may send now. Unlike sleeping after every
 * message, it lets a sender that was held up (a slow acknowledgement) catch
 * up in one burst of at most `capacity`, and keeps the long-run rate exact
 * whatever the timer resolution. Pure: the caller passes the time.
 */
export class TokenBucket {
  readonly ratePerSecond: number
  readonly capacity: number
  private tokens: number
  private updatedMs: number

  /** Starts full. */
  constructor(ratePerSecond: number, capacity: number, nowMs: number) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError("ratePerSecond must be above 0")
    if (!(capacity >= 1)) throw new RangeError("capacity must be at least 1")
    this.ratePerSecond = ratePerSecond
    this.capacity = capacity
    this.tokens = capacity
    this.updatedMs = nowMs
  }

  /** A bucket that holds 50 ms of tokens (at least one): smooth at any rate, with bursts too small to notice. */
  static forRate(ratePerSecond: number, nowMs: number) {
    return new TokenBucket(ratePerSecond, Math.max(1, ratePerSecond / 20), nowMs)
  }

  private refill(nowMs: number) {
    if (nowMs > this.updatedMs) {
      this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.updatedMs) * this.ratePerSecond) / 1000)
      this.updatedMs = nowMs
    }
  }

  /** Takes up to `wanted` whole tokens available at `nowMs` and says how many it took (0 when none). */
  take(wanted: number, nowMs: number): number {
    this.refill(nowMs)
    const granted = Math.max(0, Math.min(wanted, Math.floor(this.tokens)))
    this.tokens -= granted
    return granted
  }

  /** How long until a whole token is available (0 if one is). */
  waitMs(nowMs: number): number {
    this.refill(nowMs)
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond)
  }
}
