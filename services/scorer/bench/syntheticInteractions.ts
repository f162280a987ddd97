/**
 * A deterministic stream of valid interaction events for the benchmarks:
 * one event a minute across `customers` customers, the five types mixed
 * roughly as a shop sees them, issues resolved some events after they were
 * opened. Seeded, so every run scores the same stream.
 */
export const syntheticInteractions = (events: number, customers: number) => {
  let a = 42
  /** mulberry32 */
  const random = () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const startMs = Date.UTC(2024, 0, 1)
  const out = []
  for (let i = 0; i < events; i++) {
    const subject = `customer-${Math.floor(random() * customers)}`
    const time = new Date(startMs + i * 60_000).toISOString()
    const common = { specversion: "1.0", id: `e-${i}`, subject, time, channel: "web", segment: "smb" }
    const kind = random()
    if (kind < 0.4) {
      out.push({ ...common, source: "web-shop", type: "xp.touchpoint.v1", data: { quality: random() * 2 - 1 } })
    } else if (kind < 0.7) {
      out.push({
        ...common,
        source: "delivery",
        type: "xp.expectation.v1",
        data: { dimension: "delivery-speed", expected: 0.5, actual: random() }
      })
    } else if (kind < 0.85) {
      out.push({
        ...common,
        source: "survey-tool",
        type: "xp.survey.v1",
        data: { scale: "nps", value: Math.floor(random() * 11) }
      })
    } else if (kind < 0.93) {
      out.push({
        ...common,
        source: "support-desk",
        type: "xp.issue.opened.v1",
        data: { issueId: `t-${i}`, severity: random() * 0.9 + 0.1 }
      })
    } else {
      out.push({
        ...common,
        source: "support-desk",
        type: "xp.issue.resolved.v1",
        data: { issueId: `t-${i - 50}`, quality: random(), withinSla: random() < 0.7 }
      })
    }
  }
  return out
}
