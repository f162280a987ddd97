import * as fs from "node:fs"
import { currentRegistry, decodeEvent, type EventRejected, MAX_EVENT_BYTES } from "@xpscore/events"
import { InteractionProducer } from "@xpscore/kafka"
import { Console, Effect, Logger, Result, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"

export class InvalidLines extends Schema.TaggedError<InvalidLines>()("InvalidLines", {
  invalid: Schema.Int,
  failed: Schema.Int,
  events: Schema.Int,
  dryRun: Schema.Boolean
}) {
  override get message() {
    const parts = [
      this.invalid > 0 ? `${this.invalid} of ${this.events} events are invalid` : undefined,
      this.failed > 0 ? `${this.failed} valid events could not be sent` : undefined
    ].filter((part) => part !== undefined)
    return `${parts.join("; ")}${this.dryRun ? " (dry run: nothing sent)" : ""}`
  }
}

interface Line {
  readonly number: number
  /** at most MAX_EVENT_BYTES + 1 bytes: a longer line is cut there and fails the size rule all the same */
  readonly bytes: Uint8Array
}

const NEWLINE = 0x0a
const CARRIAGE_RETURN = 0x0d

/**
 * The lines of NDJSON input as bytes, numbered from 1, so that each is
 * checked as the scorer would check a Kafka value (UTF-8 included). A line
 * longer than any valid event is not buffered beyond the limit.
 */
async function* ndjsonLines(input: AsyncIterable<Buffer>, counted: { lines: number }): AsyncGenerator<Line> {
  let parts: Array<Buffer> = []
  let length = 0
  let number = 0
  const finish = (): Line => {
    number++
    let bytes = Buffer.concat(parts, length)
    if (bytes.length > 0 && bytes[bytes.length - 1] === CARRIAGE_RETURN) bytes = bytes.subarray(0, -1)
    parts = []
    length = 0
    counted.lines = number
    return { number, bytes }
  }
  const keep = (chunk: Buffer) => {
    // one byte over the limit after a possible \r is enough to fail the size rule
    const room = MAX_EVENT_BYTES + 2 - length
    const kept = chunk.length > room ? chunk.subarray(0, Math.max(0, room)) : chunk
    if (kept.length > 0) {
      parts.push(kept)
      length += kept.length
    }
  }
  for await (const chunk of input) {
    let start = 0
    for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      keep(chunk.subarray(start, newline))
      yield finish()
      start = newline + 1
    }
    if (start < chunk.length) keep(chunk.subarray(start))
  }
  if (length > 0) yield finish()
}

const isBlank = (bytes: Uint8Array) => bytes.every((byte) => byte === 0x20 || byte === 0x09)

const SEND_CHUNK = 2_000

export const produceCommand = Command.make(
  "produce",
  {
    file: Argument.String("file").pipe(
      Argument.withDescription("NDJSON file with one CloudEvent per line; - (the default) reads standard input"),
      Argument.withDefault("-")
    ),
    dryRun: Flag.Boolean("dry-run").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Only validate: report invalid lines, send nothing (no Kafka needed)")
    ),
    json: Flag.Boolean("json").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Print one JSON summary (counts and every invalid line) instead of text")
    )
  },
  ({ file, dryRun, json }) =>
    Effect.gen(function* () {
      const input: AsyncIterable<Buffer> = file === "-" ? process.stdin : fs.createReadStream(file)
      const counted = { lines: 0 }
      const lines = ndjsonLines(input, counted)[Symbol.asyncIterator]()
      const invalidLines: Array<{ line: number; path: string; rule: string; detail: string }> = []
      const report = (line: number, rejection: EventRejected) =>
        Effect.gen(function* () {
          invalidLines.push({ line, path: rejection.path, rule: rejection.rule, detail: rejection.detail })
          if (!json) yield* Console.log(`line ${line}: ${rejection.path}: ${rejection.rule}: ${rejection.detail}`)
        })
      let events = 0
      let valid = 0
      let sent = 0
      let failed = 0
      let topic: string | undefined

      const nextChunk = Effect.gen(function* () {
        const chunk: Array<Line> = []
        while (chunk.length < SEND_CHUNK) {
          const next = yield* Effect.tryPromise({
            try: () => lines.next(),
            catch: (cause) =>
              new InputUnreadable({ file, reason: cause instanceof Error ? cause.message : String(cause) })
          })
          if (next.done) break
          if (!isBlank(next.value.bytes)) chunk.push(next.value)
        }
        return chunk
      })

      const validate = (chunk: ReadonlyArray<Line>) =>
        Effect.gen(function* () {
          const accepted: Array<Line> = []
          for (const line of chunk) {
            events++
            const result = decodeEvent(currentRegistry, line.bytes)
            if (Result.isFailure(result)) yield* report(line.number, result.failure)
            else {
              valid++
              accepted.push(line)
            }
          }
          return accepted
        })

      if (dryRun) {
        for (let chunk = yield* nextChunk; chunk.length > 0; chunk = yield* nextChunk) yield* validate(chunk)
      } else {
        yield* Effect.gen(function* () {
          const producer = yield* InteractionProducer
          topic = producer.topic
          for (let chunk = yield* nextChunk; chunk.length > 0; chunk = yield* nextChunk) {
            const accepted = yield* validate(chunk)
            yield* Effect.forEach(
              accepted,
              (line) =>
                producer.send(line.bytes).pipe(
                  Effect.tap(() => Effect.sync(() => sent++)),
                  Effect.catchTag("ProduceFailed", (error) =>
                    Effect.gen(function* () {
                      failed++
                      yield* Console.error(`line ${line.number}: not sent: ${error.message}`)
                    })
                  ),
                  Effect.catchTag("EventRejected", (rejection) => report(line.number, rejection))
                ),
              { concurrency: "unbounded", discard: true }
            )
          }
        }).pipe(Effect.provide(InteractionProducer.layer))
      }

      const invalid = invalidLines.length
      if (json) {
        yield* Console.log(
          JSON.stringify({
            lines: counted.lines,
            events,
            valid,
            invalid,
            sent,
            failed,
            dryRun,
            topic: topic ?? null,
            invalidLines
          })
        )
      } else {
        const outcome = dryRun
          ? "dry run: nothing sent"
          : `${sent} sent to ${topic}${failed > 0 ? `, ${failed} failed` : ""}`
        const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`
        yield* Console.log(
          `${plural(events, "event")} on ${plural(counted.lines, "line")}: ${valid} valid, ${invalid} invalid; ${outcome}`
        )
      }
      if (invalid > 0 || failed > 0) return yield* new InvalidLines({ invalid, failed, events, dryRun })
    }).pipe(
      // stdout is the report (and with --json, one JSON document): logs, kafkajs' included, go to stderr
      Effect.provideService(Logger.LogToStderr, true)
    )
).pipe(
  Command.withDescription(
    "Validate NDJSON CloudEvents line by line and send the valid ones to the interactions topic; reports every invalid line with its field and rule, exits non-zero if any"
  )
)

export class InputUnreadable extends Schema.TaggedError<InputUnreadable>()("InputUnreadable", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot read ${this.file === "-" ? "standard input" : this.file}: ${this.reason}`
  }
}
