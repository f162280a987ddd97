import type { SchemaAST } from "effect"

/** `true` when a value has no field its schema does not define, at any depth the schema describes. */
export type UnknownFieldCheck = (value: unknown) => boolean

const noFieldsToCheck: UnknownFieldCheck = () => true

const namesOf = (objects: SchemaAST.Objects) =>
  objects.propertySignatures
    .map((p) => String(p.name))
    .sort()
    .join("\u0000")

/**
 * Compiles the "no unknown fields" rule of a schema into a plain predicate,
 * or `undefined` when the schema has a shape it cannot decide exactly (a
 * union of objects with different fields, index signatures).
 *
 * Why not Effect's `onExcessProperty: "error"`: in Effect 4.1 it builds a
 * Set of the known names on every call, half of a decode's time on the
 * scorer's hot path. The decoder runs this predicate first and asks Effect's
 * strict mode only for records that have an unknown field, to report it.
 */
export const compileUnknownFieldCheck = (ast: SchemaAST.AST): UnknownFieldCheck | undefined => {
  switch (ast._tag) {
    case "Objects": {
      if (ast.indexSignatures.length > 0) return undefined
      const names = new Set(ast.propertySignatures.map((p) => String(p.name)))
      const children: Array<[string, UnknownFieldCheck]> = []
      for (const property of ast.propertySignatures) {
        const child = compileUnknownFieldCheck(property.type)
        if (child === undefined) return undefined
        if (child !== noFieldsToCheck) children.push([String(property.name), child])
      }
      return (value) => {
        if (value === null || typeof value !== "object") return true
        for (const key in value) if (!names.has(key)) return false
        for (const [name, check] of children) {
          if (!check((value as Record<string, unknown>)[name])) return false
        }
        return true
      }
    }
    case "Union": {
      const objects = ast.types.filter((member): member is SchemaAST.Objects => member._tag === "Objects")
      if (objects.length === 0) {
        return ast.types.every((member) => compileUnknownFieldCheck(member) === noFieldsToCheck)
          ? noFieldsToCheck
          : undefined
      }
      // members told apart by a literal field must agree on their fields for one predicate to be exact
      if (objects.length !== ast.types.length || new Set(objects.map(namesOf)).size !== 1) return undefined
      return compileUnknownFieldCheck(objects[0]!)
    }
    case "Arrays":
    case "Suspend":
    case "Declaration":
      return undefined
    default:
      return noFieldsToCheck
  }
}
