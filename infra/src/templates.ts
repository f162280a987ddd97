import * as fs from "node:fs"

/** Fills `{{name}}` placeholders; an unknown placeholder is a programming error, caught at start-up. */
export const renderTemplate = (templateFile: string, values: Record<string, string | number>): string =>
  fs.readFileSync(templateFile, "utf8").replace(/\{\{(\w+)\}\}/g, (_, name: string) => {
    const value = values[name]
    if (value === undefined) throw new Error(`${templateFile}: no value for placeholder {{${name}}}`)
    return String(value)
  })

/** Writes a file only when its content changed, so that a running service's config keeps its mtime. */
export const writeIfChanged = (file: string, content: string) => {
  const current = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined
  if (current !== content) fs.writeFileSync(file, content)
}
