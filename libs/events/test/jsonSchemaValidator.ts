import { Ajv2020 } from "ajv/dist/2020.js"
import addFormatsModule from "ajv-formats"
import type { EventRegistry } from "../src/index.ts"
import { eventJsonSchemas } from "../src/index.ts"

const addFormats = addFormatsModule as unknown as typeof addFormatsModule.default

/**
 * What a producer in another language does with our JSON Schemas: read the
 * bytes as UTF-8 (strictly), parse JSON, validate with a draft 2020-12
 * validator (ajv, strict mode, with formats).
 */
export const jsonSchemaValidator = (registry: EventRegistry<unknown>) => {
  const ajv = new Ajv2020({ strict: true, allErrors: false })
  addFormats(ajv)
  const files = eventJsonSchemas(registry)
  const validators = new Map(files.map((file) => [file.fileName, ajv.compile(file.document)]))
  const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true })
  const parse = (raw: string | Uint8Array): { ok: true; value: unknown } | { ok: false } => {
    try {
      return { ok: true, value: JSON.parse(typeof raw === "string" ? raw : utf8.decode(raw)) }
    } catch {
      return { ok: false }
    }
  }
  return {
    fileNames: [...validators.keys()],
    /** valid against one file (`xp.touchpoint.v1.schema.json`, `xp.event.schema.json`, …) */
    accepts: (fileName: string, raw: string | Uint8Array | object): boolean => {
      const validate = validators.get(fileName)
      if (validate === undefined) throw new Error(`no JSON Schema ${fileName}`)
      const parsed =
        typeof raw === "string" || raw instanceof Uint8Array ? parse(raw) : { ok: true as const, value: raw }
      return parsed.ok && validate(parsed.value) === true
    }
  }
}
