// Per-session proxy, switched live: two sessions of one browser, one routed through an HTTP
// proxy from a moment on (its open page included), the other direct all along.
import { createServer, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { launch } from 'cdp-session'
import { isMain, startSite } from './site.js'

/** A forward HTTP proxy that counts what it relays. */
async function startProxy(): Promise<{ address: string; relayed: string[]; close(): Promise<void> }> {
  const relayed: string[] = []
  const server: Server = createServer((req, res) => {
    relayed.push(req.url ?? '')
    const upstream = request(req.url ?? '', { method: req.method, headers: { ...req.headers, via: '1.1 example-proxy' } }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(res)
    })
    upstream.on('error', () => res.writeHead(502).end())
    req.pipe(upstream)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, relayed, close: () => new Promise((resolve) => server.close(() => resolve())) }
}

export async function runPerSessionProxy(log: (line: string) => void = console.log) {
  const site = await startSite((req) => `<title>${req.headers.via ?? 'direct'}</title>`)
  const proxy = await startProxy()
  const browser = await launch()
  try {
    const proxied = browser.session.fromPartition('proxied')
    const direct = browser.session.fromPartition('direct')
    const page = await proxied.createWebContents()
    const other = await direct.createWebContents()
    await page.loadURL(`${site.origin}/before`)
    const before = await page.executeJavaScript('document.title')
    // The page is already open: the change applies to its next request. '<-loopback>' routes
    // 127.0.0.1 through the proxy too (Chromium bypasses loopback otherwise).
    await proxied.setProxy({ proxyRules: `http=${proxy.address}`, proxyBypassRules: '<-loopback>' })
    await page.loadURL(`${site.origin}/after`)
    await other.loadURL(`${site.origin}/other`)
    const report = {
      before,
      after: await page.executeJavaScript('document.title'),
      otherSession: await other.executeJavaScript('document.title'),
      resolved: await proxied.resolveProxy(`${site.origin}/`),
      // Chromium also asks for /favicon.ico after each load; those go the page's route too.
      relayed: proxy.relayed.map((url) => new URL(url).pathname).filter((path) => path !== '/favicon.ico'),
    }
    log(`before setProxy: ${String(report.before)}; after: ${String(report.after)}; other session: ${String(report.otherSession)}`)
    log(`resolveProxy → ${report.resolved}; the proxy relayed ${report.relayed.join(', ')}`)
    return report
  } finally {
    await browser.close()
    await Promise.all([site.close(), proxy.close()])
  }
}

if (isMain(import.meta.url)) await runPerSessionProxy()
