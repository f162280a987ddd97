import * as fs from "node:fs"
import * as path from "node:path"
import { currentRegistry, eventJsonSchemas, jsonSchemaFileText } from "@xpscore/events"
import { Console, Effect, Option, Schema } from "effect"
import { Command, Flag } from "effect/cli"

export class UnknownSchema extends Schema.TaggedError<UnknownSchema>()("UnknownSchema", {
  type: Schema.String,
  known: Schema.Array(Schema.String)
}) {
  override get message() {
    return `--type ${this.type}: no such event type; known: ${this.known.join(", ")}`
  }
}

export const schemaCommand = Command.make(
  "schema",
  {
    out: Flag.String("out").pipe(
      Flag.optional,
      Flag.withDescription(
        "Write every JSON Schema into this folder (one file per event type, plus xp.event.schema.json) and remove stale ones"
      )
    ),
    type: Flag.String("type").pipe(
      Flag.optional,
      Flag.withDescription("Print the JSON Schema of one event type, e.g. xp.touchpoint.v1 (default: of all types)")
    )
  },
  ({ out, type }) =>
    Effect.gen(function* () {
      const files = eventJsonSchemas(currentRegistry)
      if (Option.isSome(out)) {
        const folder = path.resolve(out.value)
        fs.mkdirSync(folder, { recursive: true })
        const current = new Set(files.map((file) => file.fileName))
        for (const stale of fs.readdirSync(folder).filter((name) => /^xp\..*\.schema\.json$/.test(name))) {
          if (!current.has(stale)) {
            fs.rmSync(path.join(folder, stale))
            yield* Console.log(`removed ${path.join(folder, stale)}`)
          }
        }
        for (const file of files) {
          fs.writeFileSync(path.join(folder, file.fileName), jsonSchemaFileText(file))
          yield* Console.log(`wrote   ${path.join(folder, file.fileName)}`)
        }
        return
      }
      const fileName = Option.match(type, {
        onNone: () => "xp.event.schema.json",
        onSome: (name) => `${name}.schema.json`
      })
      const file = files.find((candidate) => candidate.fileName === fileName)
      if (file === undefined) {
        return yield* new UnknownSchema({
          type: Option.getOrElse(type, () => ""),
          known: currentRegistry.versions.map((version) => version.type)
        })
      }
      yield* Console.log(jsonSchemaFileText(file).trimEnd())
    })
).pipe(
  Command.withDescription(
    "Print or write the JSON Schemas (draft 2020-12) of the event contract, generated from the Effect Schemas, for producers in other languages"
  )
)
