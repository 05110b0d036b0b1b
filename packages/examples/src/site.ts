// A small local site for the examples: answers every path with a page that shows the request.
import { createServer, type IncomingMessage, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface Site {
  origin: string
  /** Requests the site received, in order (path and headers). */
  requests: Array<{ path: string; headers: IncomingMessage['headers'] }>
  close(): Promise<void>
}

export async function startSite(page: (req: IncomingMessage) => string = (req) => `<title>${req.url}</title>`): Promise<Site> {
  const requests: Site['requests'] = []
  const server: Server = createServer((req, res) => {
    requests.push({ path: req.url ?? '/', headers: req.headers })
    res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' }).end(page(req))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}

/** Runs `main` when the file is the program (`tsx src/x.ts`), printing each line it logs. */
export function isMain(moduleUrl: string): boolean {
  return moduleUrl === new URL(`file://${process.argv[1] ?? ''}`).href
}
