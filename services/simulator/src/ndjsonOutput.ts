import * as fs from "node:fs"
import type { Writable } from "node:stream"
import { Effect, Schema } from "effect"
import { recordBytes } from "./simulatedRecord.ts"
import type { SimulationOptions } from "./simulationOptions.ts"
import { simulationRecords } from "./simulationRecords.ts"
import { type SimulationSummary, SimulationTally } from "./simulationSummary.ts"

export class OutputUnwritable extends Schema.TaggedError<OutputUnwritable>()("OutputUnwritable", {
  out: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot write ${this.out === "-" ? "standard output" : this.out}: ${this.reason}`
  }
}

export interface WriteProgress {
  readonly written: number
  readonly bytes: number
}

const NEWLINE = Buffer.from("\n")
const LINES_PER_WRITE = 1_000

const reasonOf = (cause: unknown) => (cause instanceof Error ? cause.message : String(cause))

/**
 * Writes `chunk`, waiting for the stream to drain when its buffer is full.
 * Succeeds with false when the reader went away (a closed pipe, as in
 * `xpscore simulate --out - | head`): that ends the output, it is no error.
 */
const writeChunk = (stream: Writable, chunk: Buffer, out: string) =>
  Effect.callback<boolean, OutputUnwritable>((resume) => {
    let settled = false
    const onError = (error: NodeJS.ErrnoException) => {
      if (settled) return
      settled = true
      resume(
        error.code === "EPIPE"
          ? Effect.succeed(false)
          : Effect.fail(new OutputUnwritable({ out, reason: error.message }))
      )
    }
    stream.once("error", onError)
    const done = () => {
      if (settled) return
      settled = true
      stream.off("error", onError)
      resume(Effect.succeed(true))
    }
    if (stream.write(chunk)) done()
    else stream.once("drain", done)
  })

/**
 * Writes every record of the simulation to `out` (a file path, or `-` for
 * standard output), one per line, exactly the bytes a producer would send:
 * valid events as `encodeEvent` writes them, invalid records as they are
 * broken (one line may not even be UTF-8). A file is replaced.
 * `onProgress` is called after each thousand lines. The summary counts
 * what was written: all of it, unless standard output was closed early.
 */
export const writeSimulationNdjson = Effect.fn("writeSimulationNdjson")(function* (
  options: SimulationOptions,
  out: string,
  onProgress?: (progress: WriteProgress) => void
) {
  const tally = new SimulationTally(options)
  const toStdout = out === "-"
  const stream: Writable = toStdout
    ? process.stdout
    : yield* Effect.try({
        try: () => fs.createWriteStream(out),
        catch: (cause) => new OutputUnwritable({ out, reason: reasonOf(cause) })
      })
  // opening errors (no such folder, no permission) arrive as an event: wait for open or error
  if (!toStdout) {
    yield* Effect.callback<void, OutputUnwritable>((resume) => {
      stream.once("open", () => resume(Effect.void))
      stream.once("error", (error) => resume(Effect.fail(new OutputUnwritable({ out, reason: error.message }))))
    })
  }
  const write = Effect.gen(function* () {
    let parts: Array<Uint8Array> = []
    let written = 0
    let bytes = 0
    let open = true
    const flush = Effect.gen(function* () {
      if (parts.length === 0) return
      const chunk = Buffer.concat(parts)
      parts = []
      open = yield* writeChunk(stream, chunk, out)
      bytes += chunk.length
      onProgress?.({ written, bytes })
    })
    for (const record of simulationRecords(options)) {
      tally.add(record)
      parts.push(recordBytes(record), NEWLINE)
      written++
      if (parts.length >= 2 * LINES_PER_WRITE) {
        yield* flush
        if (!open) break
      }
    }
    if (open) yield* flush
  })
  yield* write.pipe(
    Effect.ensuring(
      toStdout
        ? Effect.void
        : Effect.callback<void>((resume) => {
            stream.end(() => resume(Effect.void))
          })
    )
  )
  return tally.summary() as SimulationSummary
})
