import { JsonSchema, Schema } from "effect"
import { MAX_EVENT_BYTES } from "./envelope.ts"
import type { EventRegistry } from "./registry.ts"

/** A generated JSON Schema and the file it is published as (docs/schemas/). */
export interface JsonSchemaFile {
  readonly fileName: string
  readonly document: JsonSchema.JsonSchema
}

const contractNote = `Unknown attributes and unknown data fields are rejected. A whole record must not exceed ${MAX_EVENT_BYTES} bytes of UTF-8 JSON.`

/**
 * Keywords that constrain a value on their own, whatever their siblings say
 * (unlike `additionalProperties`, which reads `properties`).
 */
const independentKeywords = new Set([
  "type",
  "minLength",
  "maxLength",
  "pattern",
  "format",
  "minimum",
  "maximum",
  "exclusiveMinimum",
  "exclusiveMaximum",
  "description",
  "title"
])

/**
 * Effect emits each check as its own `allOf` entry. Lifting entries into
 * their parent when no keyword clashes keeps the meaning (a conjunction
 * either way) and gives producers the flat schemas their tools display well:
 * a field's description beside its constraints, one pattern instead of two
 * identical ones.
 */
const flattenAllOf = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(flattenAllOf)
  if (node === null || typeof node !== "object") return node
  const out: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(node)) out[key] = flattenAllOf(value)
  if (!Array.isArray(out.allOf)) return out
  const kept: Array<unknown> = []
  for (const entry of out.allOf as Array<Record<string, unknown>>) {
    const residual: Record<string, unknown> = {}
    for (const [key, value] of Object.entries(entry)) {
      const clashes = key in out && JSON.stringify(out[key]) !== JSON.stringify(value)
      if (independentKeywords.has(key) && !clashes) out[key] = value
      else residual[key] = value
    }
    if (Object.keys(residual).length > 0) kept.push(residual)
  }
  if (kept.length === 0) delete out.allOf
  else out.allOf = kept
  return out
}

const standalone = (schema: Schema.Top, title: string, description: string): JsonSchema.JsonSchema => {
  const document = Schema.toJsonSchemaDocument(schema, { onExcessProperty: "error" })
  const definitions = Object.keys(document.definitions).length > 0 ? { $defs: document.definitions } : {}
  return flattenAllOf({
    $schema: JsonSchema.META_SCHEMA_URI_DRAFT_2020_12,
    ...document.schema,
    title,
    description: `${description}. ${contractNote}`,
    ...definitions
  }) as JsonSchema.JsonSchema
}

/**
 * JSON Schemas (draft 2020-12) of every event version the registry reads, for
 * producers in other languages: one file per `type`, and
 * `xp.event.schema.json`, which accepts any event the registry decodes. They
 * are generated from the Effect Schemas, so they cannot drift from the
 * decoder; the suite regenerates them and compares with docs/schemas/.
 */
export const eventJsonSchemas = (registry: EventRegistry<unknown>): ReadonlyArray<JsonSchemaFile> => {
  const perType = registry.versions.map((version) => ({
    fileName: `${version.type}.schema.json`,
    document: standalone(version.schema, version.type, version.description)
  }))
  const union = {
    fileName: "xp.event.schema.json",
    document: standalone(
      Schema.Union(registry.versions.map((version) => version.schema)),
      "xp.event",
      `Any xpscore interaction event: ${registry.versions.map((version) => version.type).join(", ")}`
    )
  }
  return [...perType, union]
}

/** The text a schema file is published with (two-space JSON, final newline): what the drift test compares. */
export const jsonSchemaFileText = (file: JsonSchemaFile) => `${JSON.stringify(file.document, null, 2)}\n`
