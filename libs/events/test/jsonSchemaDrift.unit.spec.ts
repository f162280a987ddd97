import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"
import { currentRegistry, eventJsonSchemas, jsonSchemaFileText } from "../src/index.ts"

const published = fileURLToPath(new URL("../../../docs/schemas/", import.meta.url))

describe("the published JSON Schemas (docs/schemas/)", () => {
  const generated = eventJsonSchemas(currentRegistry)

  it.each(generated.map((file) => [file.fileName, file] as const))(
    "%s is what the Effect Schemas generate",
    (fileName, file) => {
      const onDisk = path.join(published, fileName)
      expect(fs.existsSync(onDisk), `${onDisk} is missing: run ./xpscore schema --out docs/schemas`).toBe(true)
      expect(
        fs.readFileSync(onDisk, "utf8"),
        `${fileName} drifted from the Effect Schemas: run ./xpscore schema --out docs/schemas`
      ).toBe(jsonSchemaFileText(file))
    }
  )

  it("holds no schema of a type the registry no longer reads", () => {
    const onDisk = fs.readdirSync(published).filter((name) => name.endsWith(".schema.json"))
    expect(onDisk.sort()).toEqual(generated.map((file) => file.fileName).sort())
  })
})
