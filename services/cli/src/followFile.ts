import * as fs from "node:fs"
import { Console, Effect } from "effect"

/** Prints the last `lines` of a file and, with `follow`, what is appended to it until interrupted. */
export const followFile = (file: string, options: { readonly lines: number; readonly follow: boolean }) =>
  Effect.gen(function* () {
    if (!fs.existsSync(file)) return yield* Console.log(`(no log yet at ${file})`)
    const text = fs.readFileSync(file, "utf8")
    const tail = text.split("\n").slice(-options.lines - 1)
    yield* Console.log(tail.join("\n").trimEnd())
    if (!options.follow) return
    let offset = Buffer.byteLength(text)
    while (true) {
      yield* Effect.sleep("500 millis")
      const size = fs.statSync(file).size
      if (size < offset) offset = 0
      if (size > offset) {
        const fd = fs.openSync(file, "r")
        const chunk = Buffer.alloc(size - offset)
        fs.readSync(fd, chunk, 0, chunk.length, offset)
        fs.closeSync(fd)
        offset = size
        process.stdout.write(chunk)
      }
    }
  })
