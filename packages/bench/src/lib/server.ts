import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface LocalServer {
  /** e.g. http://127.0.0.1:41234 (no trailing slash) */
  origin: string
  close(): Promise<void>
}

/**
 * Serves fixed HTML pages from 127.0.0.1 on an ephemeral port; any other
 * path (favicon...) gets an empty 404 so it costs nearly nothing.
 */
export async function serveStaticPages(pages: Record<string, string>): Promise<LocalServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/'
    const body = pages[path]
    if (body === undefined) {
      res.writeHead(404, { 'content-length': '0' }).end()
      return
    }
    res
      .writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
      })
      .end(body)
  })
  return listenLocal(server)
}

/** Starts `server` on 127.0.0.1 with an OS-chosen port; `close()` also drops open connections. */
export async function listenLocal(server: Server): Promise<LocalServer> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
