/**
 * Per customer, the highest score-record seq known to be in ClickHouse. The
 * daily rollup is a materialized view that counts every inserted row, so a
 * re-delivered record must never be inserted again: the projector drops
 * records at or below this mark. A customer not in memory (new since start,
 * since the last assignment, or evicted) is looked up in ClickHouse first,
 * so the mark is never lower than what ClickHouse holds.
 *
 * Bounded: the least recently used customers are forgotten past `capacity`
 * (they are simply looked up again when they return).
 */
export class SeqWatermarks {
  private readonly marks = new Map<string, number>()
  private readonly capacity: number

  constructor(capacity: number) {
    this.capacity = capacity
  }

  get size(): number {
    return this.marks.size
  }

  has(customerId: string): boolean {
    return this.marks.has(customerId)
  }

  /** The mark, or undefined when this customer must be looked up. */
  get(customerId: string): number | undefined {
    const mark = this.marks.get(customerId)
    if (mark !== undefined) {
      // refresh its place in the least-recently-used order
      this.marks.delete(customerId)
      this.marks.set(customerId, mark)
    }
    return mark
  }

  /** Raises a mark (never lowers it); 0 records "nothing projected yet". */
  raise(customerId: string, seq: number) {
    const current = this.marks.get(customerId)
    this.marks.delete(customerId)
    this.marks.set(customerId, current === undefined ? seq : Math.max(current, seq))
    while (this.marks.size > this.capacity) {
      const oldest = this.marks.keys().next().value as string
      this.marks.delete(oldest)
    }
  }

  /** Forgets these customers, so their marks are read from ClickHouse again. */
  forget(customerIds: Iterable<string>) {
    for (const customerId of customerIds) this.marks.delete(customerId)
  }

  clear() {
    this.marks.clear()
  }
}
