import * as fs from "node:fs"
import * as path from "node:path"
import { ClickHouse } from "@xpscore/clickhouse"
import { clickhouseTargetConfig, xpscoreHome } from "@xpscore/config"
import {
  kafkaClient,
  modelVersionTopicNames,
  type OffsetResetTarget,
  type PlannedOffset,
  type TopicSelection,
  topicLayoutConfig,
  topicNamesConfig,
  topicPrefixConfig,
  topicSpecs
} from "@xpscore/kafka"
import { projectorConfig } from "@xpscore/projector"
import { loadModelParams, scorerConfig } from "@xpscore/scorer"
import { modelVersionId } from "@xpscore/scoring"
import { Console, Effect, Option } from "effect"
import { Command, Flag } from "effect/cli"
import type { Kafka } from "kafkajs"
import {
  defaultTopicsOf,
  executeGroupReset,
  type GroupRole,
  planGroupReset,
  type ResetPlan,
  ResetRefused
} from "../groupReset.ts"
import { adminCall, withAdmin } from "../kafkaAdmin.ts"
import { candidateLabelOfScorerGroup, candidateNamespace } from "../modelVersionNamespace.ts"
import { candidateTopicsText, type ModelVersionPlan, replayModelVersion } from "../modelVersionReplay.ts"
import { planRebuild, rebuildProjection } from "../projectionRebuild.ts"
import { formatCount, formatDuration, plural } from "../quantityFormat.ts"
import { formatTable } from "../terminalTable.ts"
import { DURATION_HELP, parseDuration, parseTime, TIME_HELP } from "../timeInput.ts"
import { InvalidFlag } from "./simulateCommand.ts"

const flags = {
  group: Flag.String("group").pipe(
    Flag.optional,
    Flag.withDescription(
      "The consumer group whose offsets to reset: the scorer's (XPSCORE_SCORER_GROUP_ID, default <prefix>scorer; only --to-earliest, and its state changelog is recreated), the projector's (XPSCORE_PROJECTOR_GROUP_ID, default xpscore-projector; any reset), or another"
    )
  ),
  topic: Flag.String("topic").pipe(
    Flag.atLeast(0),
    Flag.withDescription(
      "A topic to reset, optionally with partitions: xp.scores or xp.scores:0,2 (repeatable; default: the topics the group reads)"
    )
  ),
  toDatetime: Flag.String("to-datetime").pipe(
    Flag.optional,
    Flag.withDescription(`Reset to the first record written at or after this time: ${TIME_HELP}`)
  ),
  byDuration: Flag.String("by-duration").pipe(
    Flag.optional,
    Flag.withDescription(`Reset to the first record written this long ago: ${DURATION_HELP}`)
  ),
  toOffset: Flag.Int("to-offset").pipe(
    Flag.optional,
    Flag.withDescription("Reset every chosen partition to this offset (clamped to the partition's log)")
  ),
  toEarliest: Flag.Boolean("to-earliest").pipe(
    Flag.withDefault(false),
    Flag.withDescription("Reset to the first offset still in the log")
  ),
  rebuildProjection: Flag.Boolean("rebuild-projection").pipe(
    Flag.withDefault(false),
    Flag.withDescription(
      "Rebuild the ClickHouse projection from the topics into shadow tables, check the counts, and swap them in without BI ever seeing empty tables (the projector must be stopped)"
    )
  ),
  modelVersion: Flag.String("model-version").pipe(
    Flag.optional,
    Flag.withDescription(
      "Re-score every interaction with the model parameters of this JSON file (as XPSCORE_MODEL_PARAMS) into the new version's own topics and database, beside the live ones, for comparison"
    )
  ),
  label: Flag.String("label").pipe(
    Flag.optional,
    Flag.withDescription(
      "With --model-version: the name of the candidate's topics, groups and database (default: the model version id)"
    )
  ),
  execute: Flag.Boolean("execute").pipe(
    Flag.withDefault(false),
    Flag.withDescription("Do it. Without it, the command only prints what it would do (a dry run)")
  ),
  dryRun: Flag.Boolean("dry-run").pipe(
    Flag.withDefault(false),
    Flag.withDescription("Print what would happen and change nothing (the default; --execute to act)")
  ),
  json: Flag.Boolean("json").pipe(Flag.withDefault(false), Flag.withDescription("Print machine-readable JSON"))
}

type Input = {
  readonly [K in keyof typeof flags]: (typeof flags)[K] extends Flag.Flag<infer A> ? A : never
}

const invalid = (flag: string, rule: string, value: string) => Effect.fail(new InvalidFlag({ flag, rule, value }))

const parseSelection = (text: string): TopicSelection | undefined => {
  const at = text.lastIndexOf(":")
  if (at < 0) return text === "" ? undefined : { topic: text }
  const partitions = text
    .slice(at + 1)
    .split(",")
    .map((p) => Number(p.trim()))
  if (partitions.length === 0 || partitions.some((p) => !Number.isInteger(p) || p < 0)) return undefined
  return { topic: text.slice(0, at), partitions }
}

const resetTarget = (input: Input) =>
  Effect.gen(function* () {
    const given = [
      Option.isSome(input.toDatetime),
      Option.isSome(input.byDuration),
      Option.isSome(input.toOffset),
      input.toEarliest
    ].filter(Boolean).length
    if (given !== 1) {
      return yield* invalid(
        "--to-datetime, --by-duration, --to-offset, --to-earliest",
        "give exactly one",
        `${given} given`
      )
    }
    if (Option.isSome(input.toDatetime)) {
      const timeMs = parseTime(input.toDatetime.value)
      if (timeMs === undefined) return yield* invalid("--to-datetime", `expected ${TIME_HELP}`, input.toDatetime.value)
      return { _tag: "Time", timeMs } satisfies OffsetResetTarget
    }
    if (Option.isSome(input.byDuration)) {
      const ms = parseDuration(input.byDuration.value)
      if (ms === undefined || ms <= 0)
        return yield* invalid("--by-duration", `expected ${DURATION_HELP}`, input.byDuration.value)
      return { _tag: "Time", timeMs: Date.now() - ms } satisfies OffsetResetTarget
    }
    if (Option.isSome(input.toOffset)) {
      if (input.toOffset.value < 0)
        return yield* invalid("--to-offset", "expected an offset ≥ 0", String(input.toOffset.value))
      return { _tag: "Offset", offset: input.toOffset.value } satisfies OffsetResetTarget
    }
    return { _tag: "Earliest" } satisfies OffsetResetTarget
  })

const targetText = (target: OffsetResetTarget) =>
  target._tag === "Earliest"
    ? "the earliest offsets"
    : target._tag === "Offset"
      ? `offset ${formatCount(target.offset)}`
      : `the first records written at or after ${new Date(target.timeMs).toISOString()}`

const roleText = (role: GroupRole) =>
  role._tag === "Scorer"
    ? "a scorer group"
    : role._tag === "Projector"
      ? "a projector group"
      : "not an xpscore service's group"

const partitionTable = (partitions: ReadonlyArray<PlannedOffset>) =>
  formatTable(
    [
      { header: "topic", value: (p: PlannedOffset) => p.topic },
      { header: "partition", align: "right", value: (p) => String(p.partition) },
      { header: "current", align: "right", value: (p) => formatCount(p.current) },
      { header: "new", align: "right", value: (p) => formatCount(p.next) },
      {
        header: "records",
        align: "right",
        value: (p) =>
          p.replayed > 0
            ? `${formatCount(p.replayed)} to read again`
            : p.replayed < 0
              ? `${formatCount(-p.replayed)} to skip`
              : "0"
      }
    ],
    partitions,
    { indent: "  " }
  )

const planText = (plan: ResetPlan) => {
  const again = plan.partitions.reduce((sum, p) => sum + Math.max(0, p.replayed), 0)
  const skipped = plan.partitions.reduce((sum, p) => sum + Math.max(0, -p.replayed), 0)
  return [
    `consumer group ${plan.groupId} (${roleText(plan.role)}; ${plan.state}, ${plural(plan.members.length, "member")}) to ${targetText(plan.target)}`,
    partitionTable(plan.partitions),
    `  in all: ${formatCount(again)} records to read again, ${formatCount(skipped)} to skip (on transactional topics these counts include commit markers)`,
    ...(plan.changelog === undefined
      ? []
      : [
          `  and the scorer's state changelog ${plan.changelog.topic} (${plural(plan.changelog.records, "record")}) is deleted and created again empty, so the scorer re-scores from the first event without applying any twice`
        ]),
    ...(plan.members.length > 0
      ? [`  the group has live members (${plan.members.join(", ")}): --execute refuses until they are stopped`]
      : [])
  ].join("\n")
}

const DRY_RUN_NOTE = "dry run: nothing changed. Run it again with --execute to do it."

const logFileFor = (what: string) =>
  Effect.gen(function* () {
    const dir = path.join(yield* xpscoreHome, "replay")
    fs.mkdirSync(dir, { recursive: true })
    const file = path.join(dir, `${what}.log`)
    fs.writeFileSync(file, "")
    return file
  })

const groupRoleOf = (groupId: string) =>
  Effect.gen(function* () {
    const names = yield* topicNamesConfig
    const prefix = yield* topicPrefixConfig
    const scorerGroup = (yield* scorerConfig).groupId
    const projectorGroup = (yield* projectorConfig).groupId
    if (groupId === scorerGroup) return { _tag: "Scorer", topics: names } satisfies GroupRole
    const label = candidateLabelOfScorerGroup(prefix, groupId)
    if (label !== undefined)
      return { _tag: "Scorer", topics: modelVersionTopicNames(prefix, label) } satisfies GroupRole
    if (groupId === projectorGroup) return { _tag: "Projector", topics: names } satisfies GroupRole
    const projectorHead = `${prefix}projector.`
    if (groupId.startsWith(projectorHead)) {
      return {
        _tag: "Projector",
        topics: modelVersionTopicNames(prefix, groupId.slice(projectorHead.length))
      } satisfies GroupRole
    }
    return { _tag: "Other" } satisfies GroupRole
  })

/** The topics a group of unknown role has committed offsets on, among xpscore's. */
const committedTopics = (kafka: Kafka, groupId: string) =>
  Effect.gen(function* () {
    const names = yield* topicNamesConfig
    return yield* withAdmin(kafka, (admin) =>
      Effect.gen(function* () {
        const existing = new Set(yield* adminCall("list topics", () => admin.listTopics()))
        const candidates = [names.interactions, names.scores].filter((t) => existing.has(t))
        const offsets = yield* adminCall(`read the offsets of group ${groupId}`, () =>
          admin.fetchOffsets({ groupId, topics: candidates })
        )
        return offsets.filter((t) => t.partitions.some((p) => Number(p.offset) >= 0)).map((t) => t.topic)
      })
    )
  })

const resetGroup = (groupId: string, input: Input) =>
  Effect.gen(function* () {
    const target = yield* resetTarget(input)
    const kafka = yield* kafkaClient("xpscore-replay")
    const role = yield* groupRoleOf(groupId)
    let selections: Array<TopicSelection> = []
    for (const text of input.topic) {
      const selection = parseSelection(text)
      if (selection === undefined)
        return yield* invalid("--topic", "expected a topic, or topic:partition,partition", text)
      selections.push(selection)
    }
    if (selections.length === 0) {
      const topics = role._tag === "Other" ? yield* committedTopics(kafka, groupId) : defaultTopicsOf(role)
      if (topics.length === 0) {
        return yield* new ResetRefused({
          groupId,
          reason: "it has no committed offsets on xpscore's topics; name the topics with --topic"
        })
      }
      selections = topics.map((topic) => ({ topic }))
    }
    const plan = yield* withAdmin(kafka, (admin) => planGroupReset(admin, groupId, role, target, selections))
    const execute = input.execute
    if (!execute) {
      yield* Console.log(
        input.json ? JSON.stringify({ mode: "offsets", dryRun: true, plan }) : `${planText(plan)}\n\n${DRY_RUN_NOTE}`
      )
      return
    }
    const layout = yield* topicLayoutConfig
    const specs = topicSpecs({ ...layout, names: role._tag === "Other" ? layout.names : role.topics })
    const after = yield* executeGroupReset(kafka, plan, specs)
    if (input.json) {
      yield* Console.log(JSON.stringify({ mode: "offsets", dryRun: false, plan, after }))
      return
    }
    yield* Console.log(
      [
        planText(plan),
        "",
        `done: the offsets of ${groupId} were committed and read back${plan.changelog === undefined ? "" : `, and ${plan.changelog.topic} was recreated empty`}.`,
        role._tag === "Scorer"
          ? "Start the scorer: it re-scores every interaction from the first. With the same model the score records appended again are identical (same seq, same score), and the projector skips them; to score with other parameters, use --model-version instead."
          : role._tag === "Projector"
            ? "Start the projector: it reads from the new offsets; records it already projected are skipped by (customer, seq), so the tables stay exact."
            : "Start the group's consumers: they read from the new offsets."
      ].join("\n")
    )
  })

const rebuild = (input: Input) =>
  Effect.gen(function* () {
    const target = yield* clickhouseTargetConfig
    const kafka = yield* kafkaClient("xpscore-replay")
    const topics = yield* topicNamesConfig
    const projectorGroup = (yield* projectorConfig).groupId
    yield* Effect.gen(function* () {
      if (!input.execute) {
        const plan = yield* planRebuild({ kafka, topics, projectorGroup })
        yield* Console.log(
          input.json
            ? JSON.stringify({ mode: "rebuild-projection", dryRun: true, plan })
            : [
                `rebuild of the projection in database ${plan.database} from ${plan.topics.join(" and ")} (${formatCount(plan.offsets)} offsets)`,
                `  live now: ${plural(plan.live.scoreRecords, "score record")}, ${plural(plan.live.customers, "customer")}, ${plural(plan.live.interactions, "interaction")}`,
                `  a projector on a fresh group (${plan.rebuildGroup}) projects into ${plan.shadowDatabase}; the counts are checked; then the rebuilt tables replace the live ones in one step, and the previous ones are dropped`,
                `  the projector (group ${plan.liveGroup}) must be stopped meanwhile; BI keeps reading the live tables until the swap`,
                "",
                DRY_RUN_NOTE
              ].join("\n")
        )
        return
      }
      const result = yield* rebuildProjection({
        kafka,
        topics,
        projectorGroup,
        logFile: yield* logFileFor("rebuild-projection")
      })
      yield* Console.log(
        input.json
          ? JSON.stringify({ mode: "rebuild-projection", dryRun: false, result })
          : [
              `rebuilt the projection in ${result.database} from ${result.topics.join(" and ")} in ${formatDuration(result.elapsedMs)}`,
              `  before: ${plural(result.live.scoreRecords, "score record")}, ${plural(result.live.customers, "customer")}, ${plural(result.live.interactions, "interaction")}`,
              `  now:    ${plural(result.after.scoreRecords, "score record")}, ${plural(result.after.customers, "customer")}, ${plural(result.after.interactions, "interaction")} (each customer's records 1…n, rollups counting each once)`,
              `  swapped in with: ${result.statements.join("; ")}`,
              `Start the projector again (group ${result.liveGroup}): it continues from its offsets and skips what the rebuild projected.`
            ].join("\n")
      )
    }).pipe(Effect.provide(ClickHouse.layerFor(target)))
  })

const modelVersion = (file: string, input: Input) =>
  Effect.gen(function* () {
    const paramsFile = path.resolve(file)
    const params = yield* loadModelParams(Option.some(paramsFile))
    const version = modelVersionId(params)
    const target = yield* clickhouseTargetConfig
    const prefix = yield* topicPrefixConfig
    const interactions = (yield* topicNamesConfig).interactions
    const label = Option.getOrElse(input.label, () => version)
    if (!/^[A-Za-z0-9_-]{1,40}$/.test(label)) {
      return yield* invalid("--label", "expected 1 to 40 of A-Z a-z 0-9 _ -", label)
    }
    const candidate = candidateNamespace(prefix, target.database, label)
    const kafka = yield* kafkaClient("xpscore-replay")
    const records = yield* withAdmin(kafka, (admin) =>
      adminCall(`read the offsets of ${interactions}`, () => admin.fetchTopicOffsets(interactions)).pipe(
        Effect.map((offsets) => offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0))
      )
    )
    const plan: ModelVersionPlan = {
      candidate,
      modelVersion: version,
      paramsFile,
      liveDatabase: target.database,
      interactions,
      records
    }
    const planLines = [
      `re-score ${formatCount(records)} records of ${interactions} with model ${version} (${paramsFile})`,
      `  into topics ${candidateTopicsText(candidate.topics)}`,
      `  with groups ${candidate.scorerGroup} and ${candidate.projectorGroup}, projected into database ${candidate.database}`,
      `  beside the live model: nothing that exists changes`
    ]
    if (!input.execute) {
      yield* Console.log(
        input.json
          ? JSON.stringify({ mode: "model-version", dryRun: true, plan })
          : [...planLines, "", DRY_RUN_NOTE].join("\n")
      )
      return
    }
    const result = yield* replayModelVersion({
      kafka,
      plan,
      logFile: yield* logFileFor(`model-version-${label}`)
    }).pipe(Effect.provide(ClickHouse.layerFor(target)))
    if (input.json) {
      yield* Console.log(JSON.stringify({ mode: "model-version", dryRun: false, result }))
      return
    }
    const table = formatTable(
      [
        { header: "customer", value: (d: (typeof result.comparison)[number]) => d.customerId },
        { header: "live", align: "right", value: (d) => d.live.toFixed(1) },
        { header: model(version), align: "right", value: (d) => d.candidate.toFixed(1) },
        {
          header: "difference",
          align: "right",
          value: (d) => `${d.difference >= 0 ? "+" : "−"}${Math.abs(d.difference).toFixed(1)}`
        }
      ],
      result.comparison.slice(0, 10),
      { indent: "  " }
    )
    yield* Console.log(
      [
        ...planLines,
        "",
        `done in ${formatDuration(result.elapsedMs)}: ${plural(result.counts.scoreRecords, "score record")} for ${plural(result.counts.customers, "customer")} in ${candidate.database}`,
        ...(result.comparison.length === 0
          ? [`  (no live projection in ${target.database} to compare with)`]
          : ["", "the biggest differences now", table]),
        "",
        "compare them yourself (any ClickHouse client; BI tools as the read-only user):",
        `  ${result.compareSql.replaceAll("\n", "\n  ")};`,
        "",
        `To make it live, run the services with XPSCORE_MODEL_PARAMS=${paramsFile}, XPSCORE_TOPIC_MODEL_VERSION=${label}, XPSCORE_SCORER_GROUP_ID=${candidate.scorerGroup}, XPSCORE_PROJECTOR_GROUP_ID=${candidate.projectorGroup} and XPSCORE_CLICKHOUSE_DATABASE=${candidate.database}, and point BI tools at ${candidate.database} (docs/runbook.md).`
      ].join("\n")
    )
  })

const model = (version: string) => `model ${version}`

export const replayCommand = Command.make("replay", flags, (input) =>
  Effect.gen(function* () {
    if (input.execute && input.dryRun)
      return yield* invalid("--dry-run", "cannot be combined with --execute", "both given")
    const modes = [Option.isSome(input.group), input.rebuildProjection, Option.isSome(input.modelVersion)].filter(
      Boolean
    )
    if (modes.length !== 1) {
      return yield* invalid(
        "--group, --rebuild-projection, --model-version",
        "give exactly one: a group to reset, or a projection to rebuild, or a model version to score into",
        `${modes.length} given`
      )
    }
    if (Option.isSome(input.group)) return yield* resetGroup(input.group.value, input)
    if (input.rebuildProjection) return yield* rebuild(input)
    if (Option.isSome(input.modelVersion)) return yield* modelVersion(input.modelVersion.value, input)
  })
).pipe(
  Command.withDescription(
    "Replay safely (a dry run unless --execute): reset a consumer group's offsets (by time, duration, offset or to the earliest; per topic and partition; never while the group has live members; a scorer group only to the earliest, with its state changelog recreated), rebuild the ClickHouse projection blue/green (--rebuild-projection), or re-score into a new model version beside the live one (--model-version)"
  ),
  Command.withExamples([
    { command: "xpscore replay --group xp.scorer --to-earliest", description: "What re-scoring everything would do" },
    {
      command: "xpscore replay --group xp.scorer --to-earliest --execute",
      description: "Do it (stop the scorer first)"
    },
    {
      command: "xpscore replay --group xpscore-projector --by-duration 2h --topic xp.scores --execute",
      description: "Re-project the last two hours of score records"
    },
    {
      command: "xpscore replay --rebuild-projection --execute",
      description: "Rebuild the projection without downtime for BI"
    },
    {
      command: "xpscore replay --model-version params-v2.json --execute",
      description: "Score everything with other parameters into a database of its own, and compare"
    }
  ])
)
