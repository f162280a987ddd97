import * as fs from "node:fs"
import { currentRegistry, decodeEvent } from "@xpscore/events"
import { loadModelParams, modelParamsConfig } from "@xpscore/scorer"
import {
  applyInto,
  type CustomerState,
  componentsOf,
  emptyState,
  fromInteraction,
  latestEventTime,
  modelVersionId,
  newOutcome,
  type Params,
  termsFromComponents
} from "@xpscore/scoring"
import { Console, Effect, Option, Result, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"

export class ScoreInputInvalid extends Schema.TaggedError<ScoreInputInvalid>()("ScoreInputInvalid", {
  invalid: Schema.Int,
  lines: Schema.Int
}) {
  override get message() {
    return `${this.invalid} of ${this.lines} lines are not valid events (listed above); nothing scored. --skip-invalid scores the valid ones`
  }
}

export class ScoreTimeBeforeEvents extends Schema.TaggedError<ScoreTimeBeforeEvents>()("ScoreTimeBeforeEvents", {
  at: Schema.String,
  customerId: Schema.String,
  latest: Schema.String
}) {
  override get message() {
    return `--at ${this.at} is before the latest event of customer ${JSON.stringify(this.customerId)} (${this.latest}): a score is only defined from a customer's latest event on`
  }
}

export class ScoreTimeInvalid extends Schema.TaggedError<ScoreTimeInvalid>()("ScoreTimeInvalid", {
  at: Schema.String
}) {
  override get message() {
    return `--at ${JSON.stringify(this.at)}: expected an RFC 3339 time such as 2024-05-01T12:00:00Z or 2024-05-01T14:00:00.250+02:00`
  }
}

export class ScoreInputUnreadable extends Schema.TaggedError<ScoreInputUnreadable>()("ScoreInputUnreadable", {
  file: Schema.String,
  reason: Schema.String
}) {
  override get message() {
    return `cannot read ${this.file === "-" ? "standard input" : this.file}: ${this.reason}`
  }
}

const RFC_3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i

const parseRfc3339 = (text: string): number | undefined => {
  if (!RFC_3339.test(text)) return undefined
  const ms = Date.parse(text)
  return Number.isFinite(ms) ? ms : undefined
}

const NEWLINE = 0x0a
const CARRIAGE_RETURN = 0x0d

/**
 * Calls `consume` with every line of `input` as bytes (a trailing \r
 * dropped), so that each record is decoded as the scorer decodes a Kafka
 * value: invalid UTF-8 is a rejection, not a replacement character.
 */
const forEachLine = async (input: AsyncIterable<Buffer>, consume: (line: Uint8Array) => void) => {
  let pending: Array<Buffer> = []
  const finish = (last: Buffer) => {
    let line = pending.length === 0 ? last : Buffer.concat([...pending, last])
    pending = []
    if (line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN) line = line.subarray(0, -1)
    consume(line)
  }
  for await (const chunk of input) {
    let start = 0
    for (let newline = chunk.indexOf(NEWLINE); newline !== -1; newline = chunk.indexOf(NEWLINE, start)) {
      finish(chunk.subarray(start, newline))
      start = newline + 1
    }
    if (start < chunk.length) pending.push(chunk.subarray(start))
  }
  if (pending.length > 0) finish(Buffer.alloc(0))
}

const isBlank = (bytes: Uint8Array) => bytes.every((byte) => byte === 0x20 || byte === 0x09)

/** One customer's line of output (the order of the keys is the documented one). */
const customerLine = (customerId: string, state: CustomerState, atMs: number, params: Params, version: string) => {
  const terms = termsFromComponents(componentsOf(state, params), params, atMs)
  return JSON.stringify({
    customerId,
    score: terms.score,
    index: terms.index,
    terms: { average: terms.average, end: terms.end, peak: terms.peak },
    events: state.events,
    late: state.late,
    modelVersion: version
  })
}

/**
 * Offline scoring: the same fold as the scorer, over a file. Each customer's
 * events are applied in the order of the lines (the order the scorer would
 * read them from a partition), so duplicates, late events and re-ordering
 * inside the allowed lateness are treated exactly as online.
 */
export const scoreCommand = Command.make(
  "score",
  {
    file: Argument.String("file").pipe(
      Argument.withDescription("NDJSON file with one CloudEvent per line; - (the default) reads standard input"),
      Argument.withDefault("-")
    ),
    at: Flag.String("at").pipe(
      Flag.optional,
      Flag.withDescription(
        "Score every customer at this RFC 3339 time (it must not be before any customer's latest event); default: each customer at its latest event time"
      )
    ),
    skipInvalid: Flag.Boolean("skip-invalid").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Report invalid lines on standard error and score the valid ones (default: score nothing)")
    ),
    params: Flag.String("params").pipe(
      Flag.optional,
      Flag.withDescription(
        "JSON file of model parameters that differ from model version 1 (default: XPSCORE_MODEL_PARAMS, else version 1)"
      )
    )
  },
  ({ file, at, skipInvalid, params: paramsFile }) =>
    Effect.gen(function* () {
      const atMs = Option.isNone(at) ? undefined : parseRfc3339(at.value)
      if (Option.isSome(at) && atMs === undefined) return yield* new ScoreTimeInvalid({ at: at.value })
      const params = yield* loadModelParams(Option.isSome(paramsFile) ? paramsFile : yield* modelParamsConfig)
      const version = modelVersionId(params)

      const states = new Map<string, CustomerState>()
      const outcome = newOutcome()
      let lines = 0
      let invalid = 0
      const consume = (line: Uint8Array) => {
        lines++
        if (isBlank(line)) return
        const decoded = decodeEvent(currentRegistry, line)
        if (Result.isFailure(decoded)) {
          invalid++
          const r = decoded.failure
          process.stderr.write(`line ${lines}: ${r.path}: ${r.rule}: ${r.detail}\n`)
          return
        }
        const event = decoded.success
        let state = states.get(event.subject)
        if (state === undefined) {
          state = emptyState()
          states.set(event.subject, state)
        }
        applyInto(state, fromInteraction(event), params, outcome)
      }
      yield* Effect.tryPromise({
        try: () => forEachLine(file === "-" ? process.stdin : fs.createReadStream(file), consume),
        catch: (cause) =>
          new ScoreInputUnreadable({ file, reason: cause instanceof Error ? cause.message : String(cause) })
      })
      if (invalid > 0 && !skipInvalid) return yield* new ScoreInputInvalid({ invalid, lines })

      const customers = [...states.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      if (atMs !== undefined) {
        for (const customerId of customers) {
          const latest = latestEventTime(states.get(customerId)!)
          if (latest !== undefined && atMs < latest) {
            return yield* new ScoreTimeBeforeEvents({
              at: Option.getOrElse(at, () => ""),
              customerId,
              latest: new Date(latest).toISOString()
            })
          }
        }
      }
      const out: Array<string> = []
      for (const customerId of customers) {
        const state = states.get(customerId)!
        out.push(customerLine(customerId, state, atMs ?? latestEventTime(state) ?? 0, params, version))
      }
      if (out.length > 0) yield* Effect.sync(() => process.stdout.write(`${out.join("\n")}\n`))
      else yield* Console.error("no events: nothing to score")
    })
).pipe(
  Command.withDescription(
    "Score NDJSON CloudEvents offline with the scorer's model: one JSON line per customer, sorted by customer id ({customerId, score, index, terms, events, late, modelVersion})"
  ),
  Command.withExamples([
    { command: "xpscore score events.ndjson", description: "Every customer at its latest event time" },
    {
      command: "xpscore score --at 2024-06-01T00:00:00Z events.ndjson",
      description: "Every customer as of one moment (decayed to it)"
    },
    {
      command: "xpscore simulate --days 1 --out - | xpscore score --skip-invalid",
      description: "From standard input, skipping the simulator's broken records"
    }
  ])
)
