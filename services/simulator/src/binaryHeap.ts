/** A binary min-heap ordered by `before`: the simulator's event queues and arrival merges. */
export class BinaryHeap<A> {
  private readonly items: Array<A> = []
  private readonly before: (a: A, b: A) => boolean

  constructor(before: (a: A, b: A) => boolean) {
    this.before = before
  }

  get size() {
    return this.items.length
  }

  peek(): A | undefined {
    return this.items[0]
  }

  push(item: A) {
    const items = this.items
    items.push(item)
    let i = items.length - 1
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (!this.before(items[i]!, items[parent]!)) break
      ;[items[i], items[parent]] = [items[parent]!, items[i]!]
      i = parent
    }
  }

  pop(): A | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (items.length > 0 && last !== undefined) {
      items[0] = last
      let i = 0
      for (;;) {
        const left = 2 * i + 1
        const right = left + 1
        let smallest = i
        if (left < items.length && this.before(items[left]!, items[smallest]!)) smallest = left
        if (right < items.length && this.before(items[right]!, items[smallest]!)) smallest = right
        if (smallest === i) break
        ;[items[i], items[smallest]] = [items[smallest]!, items[i]!]
        i = smallest
      }
    }
    return top
  }
}
