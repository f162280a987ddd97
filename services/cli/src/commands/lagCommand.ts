import { kafkaClient, topicNamesConfig } from "@xpscore/kafka"
import { Console, Effect, Logger } from "effect"
import { Command, Flag } from "effect/cli"
import { type ConsumerLag, consumerLag, type PartitionLag } from "../consumerLag.ts"
import { formatCount, plural } from "../quantityFormat.ts"
import { formatTable } from "../terminalTable.ts"

const lagText = ({ groups, missingTopics }: ConsumerLag, topics: ReadonlyArray<string>, explicit: boolean) => {
  if (missingTopics.length === topics.length) {
    return `the xpscore topics (${topics.join(", ")}) do not exist yet; create them with ./xpscore topics create`
  }
  if (groups.length === 0) {
    return explicit
      ? "none of these groups has committed offsets on the xpscore topics"
      : `no consumer group has committed offsets on ${topics.join(", ")} yet`
  }
  const blocks = groups.map((group) => {
    const heading = `${group.groupId}  (${group.state}, ${plural(group.members, "member")})  lag ${plural(group.totalLag, "record")}`
    if (group.partitions.length === 0) return `${heading}\n  no committed offsets on ${topics.join(", ")}`
    const table = formatTable(
      [
        { header: "topic", value: (p: PartitionLag) => p.topic },
        { header: "partition", align: "right", value: (p) => String(p.partition) },
        {
          header: "committed",
          align: "right",
          value: (p) => (p.committed === null ? "none" : formatCount(p.committed))
        },
        { header: "end offset", align: "right", value: (p) => formatCount(p.endOffset) },
        { header: "lag", align: "right", value: (p) => `${p.exact ? "" : "≤ "}${formatCount(p.lag)}` }
      ],
      group.partitions,
      { indent: "  " }
    )
    const skipped = group.partitions.reduce(
      (sum, p) =>
        sum + (p.exact ? p.endOffset - Math.max(p.committed ?? p.logStartOffset, p.logStartOffset) - p.lag : 0),
      0
    )
    const note =
      skipped > 0
        ? `\n  (end offset − committed also counts ${plural(skipped, "transaction marker or aborted record", "transaction markers or aborted records")}, which no consumer receives)`
        : ""
    return `${heading}\n${table}${note}`
  })
  const estimated = groups.some((group) => group.partitions.some((p) => !p.exact))
  return [
    ...blocks,
    ...(estimated
      ? [
          "",
          "≤: too far behind to count quickly; end offset − committed, which also counts transaction markers and aborted records"
        ]
      : [])
  ].join("\n\n")
}

export const lagCommand = Command.make(
  "lag",
  {
    group: Flag.String("group").pipe(
      Flag.atLeast(0),
      Flag.withDescription(
        "A consumer group to report (repeatable); default: every group with committed offsets on xpscore's topics (the scorer's and the projector's among them)"
      )
    ),
    json: Flag.Boolean("json").pipe(Flag.withDefault(false), Flag.withDescription("Print machine-readable JSON"))
  },
  ({ group, json }) =>
    Effect.gen(function* () {
      const names = yield* topicNamesConfig
      const topics = [names.interactions, names.scores, names.scorerState, names.deadLetters]
      const kafka = yield* kafkaClient("xpscore-lag")
      const lag = yield* consumerLag(kafka, { topics, ...(group.length > 0 ? { groups: group } : {}) })
      yield* Console.log(
        json
          ? JSON.stringify({ ...lag, totalLag: lag.groups.reduce((sum, g) => sum + g.totalLag, 0) })
          : lagText(lag, topics, group.length > 0)
      )
    }).pipe(Effect.provideService(Logger.LogToStderr, true))
).pipe(
  Command.withDescription(
    "Show how far each consumer group is behind, per partition: committed offset, end offset and the records it has still to receive (transaction markers and aborted records not counted, so a caught-up consumer of a transactional topic shows 0)"
  )
)
