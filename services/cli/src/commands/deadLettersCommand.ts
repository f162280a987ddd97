import { deadLetterHeaderNames, isDeadLetterHeader, rejectionRules } from "@xpscore/events"
import {
  type DeadLetterEntry,
  deadLetterInfoOf,
  kafkaClient,
  readDeadLetters,
  redriveDeadLetters,
  redriveHeaderNames,
  topicNamesConfig
} from "@xpscore/kafka"
import { Console, Effect, Option, Schema } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import {
  countByRule,
  type DeadLetterSelection,
  deadLetteredAtMs,
  reasonOf,
  selectDeadLetters,
  selectsSomething
} from "../deadLetterSelection.ts"
import { makeProgressBar } from "../progressBar.ts"
import { formatCount, plural } from "../quantityFormat.ts"
import { formatTable } from "../terminalTable.ts"
import { DURATION_HELP, parseTimeOrAgo, TIME_HELP } from "../timeInput.ts"
import { InvalidFlag } from "./simulateCommand.ts"

export class DeadLetterNotFound extends Schema.TaggedError<DeadLetterNotFound>()("DeadLetterNotFound", {
  topic: Schema.String,
  offset: Schema.String,
  records: Schema.Int
}) {
  override get message() {
    return `${this.topic} has no record at ${this.offset} (it holds ${this.records}); ./xpscore dead-letters list shows the offsets`
  }
}

export class SelectionRequired extends Schema.TaggedError<SelectionRequired>()("SelectionRequired", {
  total: Schema.Int
}) {
  override get message() {
    return `--execute re-drives what is selected, and nothing is: choose with --rule, --reason, --since, --until, --source or --offset, or say --all for all ${this.total}`
  }
}

const json = Flag.Boolean("json").pipe(Flag.withDefault(false), Flag.withDescription("Print machine-readable JSON"))

const selectionFlags = {
  rule: Flag.String("rule").pipe(
    Flag.atLeast(0),
    Flag.withDescription(`Only this rule (repeatable): ${[...rejectionRules, "key-mismatch"].join(", ")}`)
  ),
  reason: Flag.String("reason").pipe(
    Flag.optional,
    Flag.withDescription("Only reasons containing this text (case-insensitive), e.g. xp.touchpoint.v2")
  ),
  since: Flag.String("since").pipe(
    Flag.optional,
    Flag.withDescription(`Dead-lettered at or after: ${TIME_HELP}, or ${DURATION_HELP} ago`)
  ),
  until: Flag.String("until").pipe(
    Flag.optional,
    Flag.withDescription(`Dead-lettered before: ${TIME_HELP}, or ${DURATION_HELP} ago`)
  ),
  source: Flag.String("source").pipe(
    Flag.optional,
    Flag.withDescription("Only originals whose CloudEvents source (the producer) contains this text")
  ),
  offset: Flag.String("offset").pipe(
    Flag.atLeast(0),
    Flag.withDescription("Only this dead letter (repeatable): its offset on the dead-letter topic, or partition:offset")
  )
}

type SelectionInput = {
  readonly rule: ReadonlyArray<string>
  readonly reason: Option.Option<string>
  readonly since: Option.Option<string>
  readonly until: Option.Option<string>
  readonly source: Option.Option<string>
  readonly offset: ReadonlyArray<string>
}

const selectionOf = (input: SelectionInput) =>
  Effect.gen(function* () {
    const nowMs = Date.now()
    const time = (flag: string, value: Option.Option<string>) =>
      Option.match(value, {
        onNone: () => Effect.succeed(undefined),
        onSome: (text) => {
          const ms = parseTimeOrAgo(text, nowMs)
          return ms === undefined
            ? Effect.fail(new InvalidFlag({ flag, rule: `expected ${TIME_HELP}, or ${DURATION_HELP}`, value: text }))
            : Effect.succeed(ms)
        }
      })
    const badOffset = input.offset.find((o) => !/^(\d+:)?\d+$/.test(o))
    if (badOffset !== undefined) {
      return yield* new InvalidFlag({
        flag: "--offset",
        rule: "expected an offset or partition:offset",
        value: badOffset
      })
    }
    return {
      rules: input.rule,
      reason: Option.getOrUndefined(input.reason),
      sinceMs: yield* time("--since", input.since),
      untilMs: yield* time("--until", input.until),
      source: Option.getOrUndefined(input.source),
      offsets: input.offset
    } satisfies DeadLetterSelection
  })

const when = (ms: number) => new Date(ms).toISOString().replace("T", " ").slice(0, 19)

const clip = (text: string, width: number) => (text.length > width ? `${text.slice(0, width - 1)}…` : text)

/** Bytes as an operator can read them: text where they are UTF-8 (control characters escaped), hex otherwise. */
export const bytesText = (bytes: Buffer | null): string => {
  if (bytes === null) return "(none)"
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    return /[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)
      ? `${JSON.stringify(text)} (control characters escaped)`
      : text
  } catch {
    return `not UTF-8 (${plural(bytes.length, "byte")}; invalid bytes shown as �, --json gives them exactly): ${bytes.toString("utf8")}`
  }
}

const entryJson = (entry: DeadLetterEntry) => {
  const info = deadLetterInfoOf(entry)
  return {
    topic: entry.topic,
    partition: entry.partition,
    offset: entry.offset,
    deadLetteredAt: new Date(deadLetteredAtMs(entry)).toISOString(),
    reason: reasonOf(entry),
    rule: info?.rule ?? null,
    path: info?.path ?? null,
    step: info?.step ?? null,
    from: info?.source ?? null,
    original: entry.original,
    key: entry.key?.toString("utf8") ?? null,
    redrive: entry.redrive ?? null
  }
}

const listTable = (entries: ReadonlyArray<DeadLetterEntry>) =>
  formatTable(
    [
      { header: "offset", align: "right", value: (e: DeadLetterEntry) => e.offset },
      { header: "dead-lettered (UTC)", value: (e) => when(deadLetteredAtMs(e)) },
      { header: "rule", value: (e) => deadLetterInfoOf(e)?.rule ?? "?" },
      { header: "key", value: (e) => clip(e.key?.toString("utf8") ?? "(none)", 20) },
      { header: "producer", value: (e) => clip(e.original.source ?? "", 16) },
      {
        header: "from",
        value: (e) => {
          const source = deadLetterInfoOf(e)?.source
          return source === undefined ? "" : `${source.partition}:${source.offset}`
        }
      },
      { header: "re-driven", value: (e) => (e.redrive === undefined ? "" : `${e.redrive.count}×`) },
      { header: "reason", value: (e) => clip(reasonOf(e), 70) }
    ],
    entries,
    { indent: "  " }
  )

const byRuleTable = (entries: ReadonlyArray<DeadLetterEntry>) =>
  formatTable(
    [
      { header: "", align: "right", value: (r: { rule: string; count: number }) => formatCount(r.count) },
      { header: "", value: (r) => r.rule }
    ],
    countByRule(entries),
    { indent: "  ", header: false }
  )

const list = Command.make(
  "list",
  {
    ...selectionFlags,
    limit: Flag.Int("limit").pipe(
      Flag.withDefault(50),
      Flag.withDescription("List at most this many (the latest); 0 lists only the counts")
    ),
    json
  },
  (input) =>
    Effect.gen(function* () {
      const selection = yield* selectionOf(input)
      const topic = (yield* topicNamesConfig).deadLetters
      const all = yield* readDeadLetters(yield* kafkaClient("xpscore-dead-letters"), topic)
      const chosen = selectDeadLetters(all, selection)
      if (input.json) {
        yield* Console.log(
          JSON.stringify({
            topic,
            total: all.length,
            matching: chosen.length,
            byRule: countByRule(chosen),
            deadLetters: chosen.map(entryJson)
          })
        )
        return
      }
      const shown = input.limit > 0 ? chosen.slice(-input.limit) : []
      yield* Console.log(
        [
          `${plural(all.length, "dead letter")} in ${topic}${selectsSomething(selection) ? `, ${formatCount(chosen.length)} selected` : ""}`,
          ...(chosen.length === 0 ? [] : ["", "by rule", byRuleTable(chosen)]),
          ...(shown.length === 0
            ? []
            : [
                "",
                shown.length < chosen.length ? `the latest ${formatCount(shown.length)} (--limit)` : "dead letters",
                listTable(shown),
                "",
                "./xpscore dead-letters show <offset> prints one with its headers and original value"
              ])
        ].join("\n")
      )
    })
).pipe(
  Command.withDescription(
    "List the dead letters (records the scorer could not decode or route), with counts by rule; filter by rule, reason, time and producer"
  )
)

const show = Command.make(
  "show",
  {
    offset: Argument.String("offset").pipe(
      Argument.withDescription("Its offset on the dead-letter topic (or partition:offset)")
    ),
    json
  },
  ({ offset, json }) =>
    Effect.gen(function* () {
      const topic = (yield* topicNamesConfig).deadLetters
      const all = yield* readDeadLetters(yield* kafkaClient("xpscore-dead-letters"), topic)
      const [entry] = selectDeadLetters(all, {
        rules: [],
        reason: undefined,
        sinceMs: undefined,
        untilMs: undefined,
        source: undefined,
        offsets: [offset]
      })
      if (entry === undefined) return yield* new DeadLetterNotFound({ topic, offset, records: all.length })
      if (json) {
        const headers = Object.fromEntries(
          Object.entries(entry.headers).map(([name, value]) => [
            name,
            (Array.isArray(value) ? value : [value]).map((v) =>
              v === undefined ? null : Buffer.from(v).toString("base64")
            )
          ])
        )
        yield* Console.log(
          JSON.stringify({
            ...entryJson(entry),
            headersBase64: headers,
            keyBase64: entry.key?.toString("base64") ?? null,
            valueBase64: entry.value?.toString("base64") ?? null
          })
        )
        return
      }
      const info = deadLetterInfoOf(entry)
      const headerLines = (names: ReadonlyArray<string>) =>
        names.map((name) => {
          const value = entry.headers[name]
          const first = Array.isArray(value) ? value[0] : value
          return `    ${name}: ${first === undefined ? "" : bytesText(Buffer.from(first))}`
        })
      const names = Object.keys(entry.headers)
      yield* Console.log(
        [
          `dead letter ${topic}:${entry.partition}:${entry.offset}, dead-lettered ${when(deadLetteredAtMs(entry))} UTC`,
          `  reason: ${reasonOf(entry)}`,
          ...(info === undefined
            ? []
            : [
                `  failed at ${info.step} in ${info.path} (rule ${info.rule}); read from ${info.source.topic} partition ${info.source.partition} offset ${info.source.offset} by ${info.source.consumerGroup}`
              ]),
          ...(info?.truncated === undefined
            ? []
            : [
                `  cut to fit the dead-letter topic (original sizes in bytes: ${Object.entries(info.truncated)
                  .map(([part, bytes]) => `${part.replace("Bytes", "")} ${formatCount(bytes)}`)
                  .join(
                    ", "
                  )}): the whole original is at ${info.source.topic}:${info.source.partition}:${info.source.offset}`
              ]),
          ...(entry.redrive === undefined
            ? []
            : [
                `  re-driven ${plural(entry.redrive.count, "time")}, last from ${entry.redrive.of}${entry.redrive.timeMs === undefined ? "" : ` at ${when(entry.redrive.timeMs)} UTC`}, and failed again`
              ]),
          "",
          `  key: ${bytesText(entry.key)}`,
          "  headers of the original:",
          ...headerLines(names.filter((n) => !isDeadLetterHeader(n))),
          "  dead-letter headers:",
          ...headerLines(names.filter(isDeadLetterHeader)),
          "",
          "  original value:",
          `    ${bytesText(entry.value)}`
        ].join("\n")
      )
    })
).pipe(
  Command.withDescription(
    "Print one dead letter: its reason, where it came from, its headers and its original key and value"
  )
)

const redrive = Command.make(
  "redrive",
  {
    ...selectionFlags,
    all: Flag.Boolean("all").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Select every dead letter (--execute requires a selection or this)")
    ),
    execute: Flag.Boolean("execute").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Publish them. Without it, only print what would be re-driven (a dry run)")
    ),
    dryRun: Flag.Boolean("dry-run").pipe(
      Flag.withDefault(false),
      Flag.withDescription("Print what would be re-driven and publish nothing (the default)")
    ),
    json
  },
  (input) =>
    Effect.gen(function* () {
      if (input.execute && input.dryRun) {
        return yield* new InvalidFlag({
          flag: "--dry-run",
          rule: "cannot be combined with --execute",
          value: "both given"
        })
      }
      const selection = yield* selectionOf(input)
      const topics = yield* topicNamesConfig
      const kafka = yield* kafkaClient("xpscore-dead-letters")
      const all = yield* readDeadLetters(kafka, topics.deadLetters)
      const selected = selectDeadLetters(all, selection)
      // a letter cut to fit the dead-letter topic no longer holds its original: it is not re-driven
      const truncated = selected.filter((entry) => deadLetterInfoOf(entry)?.truncated !== undefined)
      const chosen = selected.filter((entry) => deadLetterInfoOf(entry)?.truncated === undefined)
      const summary = {
        from: topics.deadLetters,
        to: topics.interactions,
        total: all.length,
        selected: chosen.length,
        truncated: truncated.map((entry) => ({ offset: entry.offset, from: deadLetterInfoOf(entry)?.source })),
        byRule: countByRule(chosen)
      }
      const describe = [
        `${plural(chosen.length, "dead letter")} of ${formatCount(all.length)} in ${topics.deadLetters} selected, to re-publish to ${topics.interactions} with their original key, value and headers (plus ${redriveHeaderNames.of}, ${redriveHeaderNames.time}, ${redriveHeaderNames.count})`,
        ...(chosen.length === 0 ? [] : [byRuleTable(chosen)]),
        ...(truncated.length === 0
          ? []
          : [
              `${plural(truncated.length, "more was", "more were")} cut to fit the dead-letter topic and ${truncated.length === 1 ? "is" : "are"} left out (offsets ${truncated.map((e) => e.offset).join(", ")}): ${truncated.length === 1 ? "its original is" : "their originals are"} still on the source topic, at the coordinates dead-letters show prints`
            ])
      ]
      if (!input.execute) {
        yield* Console.log(
          input.json
            ? JSON.stringify({ dryRun: true, ...summary, deadLetters: chosen.map(entryJson) })
            : [...describe, "", "dry run: nothing published. Run it again with --execute to re-drive them."].join("\n")
        )
        return
      }
      if (!selectsSomething(selection) && !input.all) return yield* new SelectionRequired({ total: all.length })
      const bar = makeProgressBar({ label: "redrive", total: chosen.length, unit: "records" })
      const sent = yield* redriveDeadLetters(kafka, topics.interactions, chosen, bar.update)
      bar.finish(sent)
      yield* Console.log(
        input.json
          ? JSON.stringify({ dryRun: false, ...summary, sent })
          : [
              ...describe,
              "",
              `re-drove ${plural(sent, "record")} to ${topics.interactions}. The scorer reads them like any others; one that fails again is dead-lettered again, keeping ${redriveHeaderNames.of} (see ./xpscore dead-letters list). Re-drive them once: a second redrive sends them again, which the scorer recognizes as duplicates only within its dedup horizon.`
            ].join("\n")
      )
    })
).pipe(
  Command.withDescription(
    "Re-publish selected dead letters' originals (key, value and headers byte for byte, plus redrive headers) to the interactions topic, once the scorer can read them (a dry run unless --execute)"
  ),
  Command.withExamples([
    {
      command: "xpscore dead-letters redrive --rule unknown-version --reason xp.touchpoint.v2",
      description: "What re-driving the v2 touchpoints would send"
    },
    {
      command: "xpscore dead-letters redrive --rule unknown-version --reason xp.touchpoint.v2 --execute",
      description: "Send them, once a scorer that reads v2 runs"
    }
  ])
)

export const deadLettersCommand = Command.make("dead-letters").pipe(
  Command.withDescription(
    `Inspect and re-drive the dead-letter topic (<prefix>dead-letters): records that could not be decoded or routed, each with its reason (${deadLetterHeaderNames.reason}) and source coordinates`
  ),
  Command.withSubcommands([list, show, redrive])
)
