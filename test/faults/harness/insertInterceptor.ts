import * as net from "node:net"

/**
 * Where a projector crash lands, made exact instead of left to timing: a
 * proxy between the projector and the ClickHouse server that passes
 * everything through until it is armed, then stops at the next INSERT into
 * one table:
 *
 * - `after-insert`: the request goes through whole and ClickHouse executes
 *   it; its answer is held back. The rows are in ClickHouse, the projector
 *   does not know, so it has not committed its offsets: killing it now is a
 *   crash between the insert and the offset commit.
 * - `mid-insert`: the request line, headers and the first bytes of the body
 *   go through, the rest is held back. ClickHouse is executing the INSERT,
 *   reading a body that never ends: killing the projector now is a crash
 *   during the insert (the server sees the connection close mid-body).
 *
 * The INSERT is recognised by its request line: @clickhouse/client sends the
 * statement in the URL's `query` parameter and the rows as the body.
 */
export type InterceptPoint = "after-insert" | "mid-insert"

interface Armed {
  readonly point: InterceptPoint
  readonly table: string
  readonly reached: (connection: string) => void
}

/** Body bytes passed on in `mid-insert` before the rest is held. */
const BODY_BYTES_PASSED = 2048

const insertInto = (head: string, table: string) => {
  const line = /^POST (\S+) HTTP\/1\.[01]\r\n/.exec(head)
  if (line === null) return false
  let target: string
  try {
    target = decodeURIComponent(line[1]!.replace(/\+/g, " "))
  } catch {
    return false
  }
  return /\bINSERT INTO\b/i.test(target) && target.includes(table)
}

export class InsertInterceptor {
  private armed: Armed | undefined
  private readonly sockets = new Set<net.Socket>()

  private readonly server: net.Server
  readonly url: string

  private constructor(server: net.Server, url: string) {
    this.server = server
    this.url = url
  }

  static async start(upstreamUrl: string): Promise<InsertInterceptor> {
    const upstream = new URL(upstreamUrl)
    let interceptor: InsertInterceptor | undefined
    let connections = 0
    const server = net.createServer((client) => {
      const id = `connection ${++connections}`
      const remote = net.connect(Number(upstream.port), upstream.hostname)
      interceptor!.sockets.add(client)
      interceptor!.sockets.add(remote)
      let holdResponses = false
      let holdRequests = false
      let bodyBudget = -1
      let reachedOnResponse: (() => void) | undefined
      const closeBoth = () => {
        client.destroy()
        remote.destroy()
      }
      for (const socket of [client, remote]) {
        socket.on("close", () => {
          interceptor!.sockets.delete(socket)
          closeBoth()
        })
        socket.on("error", closeBoth)
      }
      client.on("data", (chunk: Buffer) => {
        if (holdRequests) {
          if (bodyBudget > 0) {
            const passed = chunk.subarray(0, bodyBudget)
            bodyBudget -= passed.length
            remote.write(passed)
          }
          return
        }
        const armed = interceptor!.armed
        if (armed !== undefined && insertInto(chunk.toString("latin1", 0, Math.min(chunk.length, 8192)), armed.table)) {
          interceptor!.armed = undefined
          if (armed.point === "after-insert") {
            holdResponses = true
            reachedOnResponse = () => armed.reached(id)
            remote.write(chunk)
            return
          }
          holdRequests = true
          const headersEnd = chunk.indexOf("\r\n\r\n")
          const passUpTo = headersEnd === -1 ? chunk.length : headersEnd + 4
          remote.write(chunk.subarray(0, Math.min(chunk.length, passUpTo + BODY_BYTES_PASSED)))
          bodyBudget = Math.max(0, BODY_BYTES_PASSED - Math.max(0, chunk.length - passUpTo))
          armed.reached(id)
          return
        }
        remote.write(chunk)
      })
      remote.on("data", (chunk: Buffer) => {
        if (holdResponses) {
          // the server answers once the INSERT is done: it landed, and the projector will never hear of it
          reachedOnResponse?.()
          reachedOnResponse = undefined
          return
        }
        client.write(chunk)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
    const address = server.address() as net.AddressInfo
    interceptor = new InsertInterceptor(server, `http://127.0.0.1:${address.port}`)
    return interceptor
  }

  /** Stops at the next INSERT into `table`; resolves when that point is reached. */
  arm(point: InterceptPoint, table: string): Promise<{ readonly connection: string; readonly atMs: number }> {
    return new Promise((resolve) => {
      this.armed = { point, table, reached: (connection) => resolve({ connection, atMs: Date.now() }) }
    })
  }

  /** Drops every connection (the held bytes with them). */
  disconnectAll() {
    for (const socket of this.sockets) socket.destroy()
  }

  async close() {
    this.armed = undefined
    this.disconnectAll()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
