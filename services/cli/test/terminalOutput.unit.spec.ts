import fc from "fast-check"
import { describe, expect, it } from "vitest"
import { makeProgressBar, renderProgressLine } from "../src/progressBar.ts"
import {
  formatBytes,
  formatCount,
  formatDuration,
  formatMillisSetting,
  formatPercent,
  plural
} from "../src/quantityFormat.ts"
import { displayWidth, formatTable } from "../src/terminalTable.ts"

describe("formatTable", () => {
  it("aligns columns, numbers to the right, without trailing spaces", () => {
    const rows = [
      { topic: "xp.interactions", partitions: 6, policy: "delete" },
      { topic: "xp.dead-letters", partitions: 1, policy: "" },
      { topic: "xp.scorer-state", partitions: 12, policy: "compact" }
    ]
    const text = formatTable(
      [
        { header: "topic", value: (r: (typeof rows)[number]) => r.topic },
        { header: "partitions", align: "right", value: (r) => String(r.partitions) },
        { header: "cleanup", value: (r) => r.policy }
      ],
      rows,
      { indent: "  " }
    )
    expect(text).toBe(
      [
        "  topic            partitions  cleanup",
        "  xp.interactions           6  delete",
        "  xp.dead-letters           1",
        "  xp.scorer-state          12  compact"
      ].join("\n")
    )
  })

  it("lines every column up for any text, wide characters included", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.string({ unit: "grapheme", maxLength: 12 }), fc.nat(1_000_000)), {
          minLength: 1,
          maxLength: 8
        }),
        (rows) => {
          const clean = rows.map(([text, n]) => [text.replace(/\s/g, "x") || "x", n] as const)
          const lines = formatTable(
            [
              { header: "name", value: (r: (typeof clean)[number]) => r[0] },
              { header: "count", align: "right", value: (r) => formatCount(r[1]) },
              { header: "end", value: () => "|" }
            ],
            clean
          ).split("\n")
          // the last column starts at the same cell on every line
          const starts = lines.map((line) =>
            displayWidth(line.slice(0, line.lastIndexOf(line.endsWith("|") ? "|" : "end")))
          )
          expect(new Set(starts).size).toBe(1)
        }
      )
    )
  })

  it("counts terminal cells: CJK and emoji take two", () => {
    expect(displayWidth("abc")).toBe(3)
    expect(displayWidth("顧客")).toBe(4)
    expect(displayWidth("ok👍")).toBe(4)
    expect(displayWidth("é")).toBe(1)
  })
})

describe("quantities", () => {
  it("read the way operators say them", () => {
    expect(formatCount(1234567)).toBe("1,234,567")
    expect(plural(1, "record")).toBe("1 record")
    expect(plural(2_000, "record")).toBe("2,000 records")
    expect(formatPercent(1, 3)).toBe("33.3 %")
    expect(formatPercent(1, 0)).toBe("–")
    expect(formatDuration(850)).toBe("850 ms")
    expect(formatDuration(1_250)).toBe("1.3 s")
    expect(formatDuration(42_000)).toBe("42 s")
    expect(formatDuration(245_000)).toBe("4 min 05 s")
    expect(formatDuration(3_600_000)).toBe("1 h")
    expect(formatDuration(7_380_000)).toBe("2 h 03 min")
    expect(formatDuration(7 * 86_400_000)).toBe("7 d")
    expect(formatBytes(512)).toBe("512 B")
    expect(formatBytes(24_234_420)).toBe("23.1 MiB")
    expect(formatMillisSetting("-1")).toBe("forever")
    expect(formatMillisSetting("86400000")).toBe("1 d")
  })
})

describe("the progress bar", () => {
  it("shows bar, percent, counts, rate and ETA", () => {
    expect(renderProgressLine({ label: "publish", done: 25, total: 100, unit: "records", elapsedMs: 5_000 })).toBe(
      "publish  [██████░░░░░░░░░░░░░░░░░░]   25 %  25 / 100 records  5 records/s  ETA 15 s"
    )
    expect(renderProgressLine({ label: "publish", done: 100, total: 100, unit: "records", elapsedMs: 5_000 })).toMatch(
      /100 % {2}100 \/ 100 records .* done in 5\.0 s$/
    )
    expect(renderProgressLine({ label: "read", done: 1_500, total: undefined, unit: "events", elapsedMs: 2_000 })).toBe(
      "read  1,500 events  750 events/s  2.0 s"
    )
  })

  it("writes a line per tenth where the stream is not a terminal, and redraws in place where it is", () => {
    const written: Array<string> = []
    let now = 0
    const stream = { isTTY: false, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream
    const bar = makeProgressBar({
      label: "write",
      total: 1_000,
      unit: "records",
      stream,
      now: () => now,
      minIntervalMs: 0
    })
    for (let done = 0; done <= 1_000; done += 10) {
      now += 5
      bar.update(done)
    }
    bar.finish(1_000)
    expect(written).toHaveLength(12)
    expect(written.every((line) => line.endsWith("\n") && !line.includes("\r"))).toBe(true)

    const tty: Array<string> = []
    const terminal = { isTTY: true, write: (text: string) => tty.push(text) } as unknown as NodeJS.WriteStream
    const live = makeProgressBar({
      label: "write",
      total: 10,
      unit: "records",
      stream: terminal,
      now: () => now,
      minIntervalMs: 0
    })
    live.update(5)
    live.finish(10)
    // carriage return, the line, then "erase to end of line" (ESC [ K)
    expect(tty[0]!.startsWith("\r") && tty[0]!.endsWith("\u001b[K") && tty[0]!.includes(" 50 %")).toBe(true)
    expect(tty[1]!.startsWith("\r") && tty[1]!.endsWith("\n") && tty[1]!.includes("100 %")).toBe(true)
  })
})
