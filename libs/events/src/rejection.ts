import { Schema, type SchemaAST, type SchemaIssue } from "effect"
import { escapeControlCharacters } from "./ids.ts"
import { type RejectionRule, RejectionRule as RejectionRuleSchema, ruleAnnotation } from "./rules.ts"

/**
 * Why a record is not a valid event: the field (`data.quality`, `time`, `$`
 * for the whole record), the rule it breaks, and what was expected instead.
 * Dead letters carry it; `xpscore produce` prints it per line; the producer
 * SDK refuses to send the event with it.
 */
export class EventRejected extends Schema.TaggedError<EventRejected>()("EventRejected", {
  path: Schema.String,
  rule: RejectionRuleSchema,
  detail: Schema.String
}) {
  override get message() {
    return `${this.path}: ${this.rule}: ${this.detail}`
  }
}

export const rejectWhole = (rule: RejectionRule, detail: string) => new EventRejected({ path: "$", rule, detail })

const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/

const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`)

/** `data.quality`, `data["two words"]`; `$` for the whole record. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string => {
  let out = ""
  for (const segment of path) {
    if (typeof segment === "number") out += `[${segment}]`
    else if (typeof segment === "string" && IDENTIFIER.test(segment)) out += out === "" ? segment : `.${segment}`
    else out += `[${clip(escapeControlCharacters(JSON.stringify(String(segment))), 66)}]`
  }
  return out === "" ? "$" : out
}

/** A short rendering of an offending value for messages (never the whole of a large value). */
export const describeValue = (value: unknown): string => {
  if (value === null) return "null"
  if (Array.isArray(value)) return "an array"
  switch (typeof value) {
    case "string":
      return clip(escapeControlCharacters(JSON.stringify(value)), 80)
    case "number":
      return Number.isFinite(value) ? String(value) : `${value} (a number JSON cannot carry)`
    case "boolean":
      return String(value)
    case "object":
      return "an object"
    default:
      return typeof value
  }
}

/** For type mismatches the JSON type is the news: `a string ("0.5")`. */
const describeTypedValue = (value: unknown): string => {
  switch (typeof value) {
    case "string":
      return `a string (${describeValue(value)})`
    case "number":
      return `a number (${describeValue(value)})`
    case "boolean":
      return `a boolean (${value})`
    default:
      return describeValue(value)
  }
}

const valueAt = (root: unknown, path: ReadonlyArray<PropertyKey>): unknown => {
  let value = root
  for (const segment of path) {
    if (value === null || typeof value !== "object" || !Object.hasOwn(value, segment)) return undefined
    value = (value as Record<PropertyKey, unknown>)[segment]
  }
  return value
}

const expectedOfType = (ast: SchemaAST.AST): string => {
  switch (ast._tag) {
    case "String":
      return "a string"
    case "Number":
      return "a number"
    case "Boolean":
      return "a boolean (true or false)"
    case "Objects":
      return "an object"
    case "Literal":
      return JSON.stringify(ast.literal)
    case "Union":
      return ast.types.map(expectedOfType).join(" or ")
    default:
      return "a value of another type"
  }
}

/** Rules of Effect's built-in checks, for checks that carry no rule of ours. */
const builtInRules: Record<string, RejectionRule> = {
  "effect/schema/isFinite": "finite",
  "effect/schema/isInt": "integer",
  "effect/schema/isBetween": "range",
  "effect/schema/isGreaterThan": "range",
  "effect/schema/isGreaterThanOrEqualTo": "range",
  "effect/schema/isLessThan": "range",
  "effect/schema/isLessThanOrEqualTo": "range",
  "effect/schema/isBetweenCodePoints": "length",
  "effect/schema/isMinLength": "length",
  "effect/schema/isMaxLength": "length",
  "effect/schema/isBetweenLength": "length"
}

const ruleOfFilter = (filter: SchemaAST.Filter<unknown>): RejectionRule => {
  const annotations = filter.annotations
  const own = annotations?.[ruleAnnotation]
  if (typeof own === "string") return own as RejectionRule
  const id = (annotations?.representation as { id?: unknown } | undefined)?.id
  return (typeof id === "string" ? builtInRules[id] : undefined) ?? "pattern"
}

const literalMismatch = (path: ReadonlyArray<PropertyKey>, value: unknown, literals: ReadonlyArray<unknown>) => {
  const expected = literals.map((literal) => JSON.stringify(literal)).join(", ")
  const sameType = literals.some((literal) => typeof literal === typeof value)
  return new EventRejected({
    path: formatPath(path),
    rule: sameType ? "enum" : "type",
    detail: `expected ${literals.length === 1 ? expected : `one of ${expected}`}, got ${describeValue(value)}`
  })
}

/**
 * A union of objects told apart by one literal field (the survey's `scale`)
 * that matched no member: the field is what is wrong.
 */
const discriminatorMismatch = (union: SchemaAST.Union, path: ReadonlyArray<PropertyKey>, value: unknown) => {
  const discriminator = union.annotations?.xpscoreDiscriminator
  if (typeof discriminator !== "string") return undefined
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    return new EventRejected({
      path: formatPath(path),
      rule: "type",
      detail: `expected an object, got ${describeTypedValue(value)}`
    })
  }
  const literals = union.types.flatMap((member) =>
    member._tag === "Objects"
      ? member.propertySignatures.flatMap((p) =>
          p.name === discriminator && p.type._tag === "Literal" ? [p.type.literal] : []
        )
      : []
  )
  const fieldPath = [...path, discriminator]
  if (!Object.hasOwn(value, discriminator)) {
    return new EventRejected({ path: formatPath(fieldPath), rule: "required", detail: "is required" })
  }
  return literalMismatch(fieldPath, (value as Record<string, unknown>)[discriminator], literals)
}

/**
 * The first issue of a failed decoding, as a rejection. `input` is the value
 * that was decoded: messages quote the offending value from it.
 */
export const rejectionFromIssue = (issue: SchemaIssue.Issue, input: unknown): EventRejected => {
  let path: Array<PropertyKey> = []
  let current: SchemaIssue.Issue = issue
  let filter: SchemaAST.Filter<unknown> | undefined
  while (true) {
    switch (current._tag) {
      case "Pointer":
        path = [...path, ...current.path]
        current = current.issue
        continue
      case "Composite":
        if (current.issues.length === 0) break
        current = current.issues[0]!
        continue
      case "Encoding":
        current = current.issue
        continue
      case "Filter":
        filter = current.filter
        current = current.issue
        continue
      case "AnyOf":
        if (current.issues.length > 0) {
          current = current.issues[0]!
          continue
        }
        break
    }
    break
  }
  const value = valueAt(input, path)
  if (filter !== undefined) {
    const expected = filter.annotations?.expected
    return new EventRejected({
      path: formatPath(path),
      rule: ruleOfFilter(filter),
      detail: `expected ${typeof expected === "string" ? expected : "a valid value"}, got ${describeValue(value)}`
    })
  }
  switch (current._tag) {
    case "MissingKey":
      return new EventRejected({ path: formatPath(path), rule: "required", detail: "is required" })
    case "UnexpectedKey": {
      const known = current.ast._tag === "Objects" ? current.ast.propertySignatures.map((p) => String(p.name)) : []
      return new EventRejected({
        path: formatPath(path),
        rule: "unknown-field",
        detail:
          known.length > 0
            ? `is not a field here; the fields are ${known.join(", ")}`
            : "is not a field of this event type"
      })
    }
    case "InvalidType":
      if (current.ast._tag === "Literal") return literalMismatch(path, value, [current.ast.literal])
      return new EventRejected({
        path: formatPath(path),
        rule: "type",
        detail: `expected ${expectedOfType(current.ast)}, got ${describeTypedValue(value)}`
      })
    case "AnyOf": {
      const union = current.ast
      if (union.types.every((member) => member._tag === "Literal")) {
        return literalMismatch(
          path,
          value,
          union.types.map((member) => (member as SchemaAST.Literal).literal)
        )
      }
      return (
        discriminatorMismatch(union, path, value) ??
        new EventRejected({
          path: formatPath(path),
          rule: "type",
          detail: `expected ${expectedOfType(union)}, got ${describeTypedValue(value)}`
        })
      )
    }
    default:
      return new EventRejected({
        path: formatPath(path),
        rule: "type",
        detail: `is not valid here (got ${describeValue(value)})`
      })
  }
}
