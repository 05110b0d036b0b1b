// setProxy inputs that Chromium and Electron accept although they look wrong (issue #13 item 5):
// proxy rules read exactly as Chromium's ProxyRules::ParseFromString reads them, and PAC scripts
// that cannot be used, which Electron accepts as mandatory PAC: requests fail until a later
// fetch of the script works. Routing is proven by resolveProxy and by page loads through the
// recording HTTP proxy fixture.
import { afterAll, afterEach, beforeAll } from 'vitest'
import { ValidationError, type WebContents } from 'cdp-session'
import { describe, expect, test } from './fixtures/test.js'
import { startHttpProxy, withoutFavicons, type TestProxy, type TestServer } from './fixtures/server.js'

let httpProxy: TestProxy
const warnings: string[] = []
const onWarning = (warning: Error): void => {
  warnings.push(warning.message)
}

beforeAll(async () => {
  httpProxy = await startHttpProxy()
  process.on('warning', onWarning)
})
afterAll(async () => {
  process.off('warning', onWarning)
  await httpProxy.close()
})
afterEach(() => {
  delete process.env.CDP_SESSION_PAC_RETRY_MS
})

function resetProxy(): void {
  httpProxy.reset()
  httpProxy.mapHost('a.test', '127.0.0.1')
  warnings.length = 0
}

const hostPort = (proxy: TestProxy): string => `127.0.0.1:${proxy.port}`
const siteUrl = (server: TestServer, path: string): string => `http://a.test:${server.port}${path}`
const seen = (needle: string): boolean => httpProxy.requests.some((r) => r.target.includes(needle) && r.refused === undefined)
/** Warnings are emitted on the next tick; let them arrive. */
const warningsSoFar = async (): Promise<string> => {
  await new Promise((resolve) => setImmediate(resolve))
  return warnings.join('\n')
}

async function fetchText(wc: WebContents, url: string): Promise<string> {
  await wc.loadURL(url)
  return (await wc.executeJavaScript('document.body ? document.body.textContent : ""')) as string
}

describe('proxyRules as Chromium reads them', () => {
  test("'foopy ; ftp=ftp-proxy': the first list is for every URL, the rest is dropped with a warning", async ({ session, server }) => {
    resetProxy()
    server.setContent('/first.txt', 'through the first list', 'text/plain')
    await session.setProxy({ proxyRules: `${hostPort(httpProxy)} ; ftp=ftp-proxy` })
    expect(await session.resolveProxy('http://a.test/')).toBe(`PROXY ${hostPort(httpProxy)}`)
    expect(await session.resolveProxy('https://a.test/')).toBe(`PROXY ${hostPort(httpProxy)}`)
    expect(await session.resolveProxy('ftp://a.test/')).toBe(`PROXY ${hostPort(httpProxy)}`)
    const wc = await session.createWebContents()
    expect(await fetchText(wc, siteUrl(server, '/first.txt?all'))).toBe('through the first list')
    expect(seen('/first.txt?all')).toBe(true)
    expect(await warningsSoFar()).toMatch(/ses\.setProxy: ignored in proxyRules .*"ftp=ftp-proxy" \(after a proxy list for all URLs, Chromium reads nothing more\)/)
  })

  test("'ftp=ftp-proxy ; foopy': per-scheme rules, the plain list is dropped, http goes DIRECT", async ({ session, server }) => {
    resetProxy()
    server.setContent('/direct.txt', 'direct', 'text/plain')
    await session.setProxy({ proxyRules: `ftp=ftp-proxy ; ${hostPort(httpProxy)}` })
    expect(await session.resolveProxy('http://a.test/')).toBe('DIRECT')
    expect(await session.resolveProxy('ftp://a.test/')).toBe('PROXY ftp-proxy:80')
    const wc = await session.createWebContents()
    expect(await fetchText(wc, siteUrl(server, '/direct.txt?per-scheme'))).toBe('direct')
    expect(withoutFavicons(httpProxy.requests)).toEqual([])
    expect(server.requestCount('/direct.txt')).toBe(1)
    expect(await warningsSoFar()).toMatch(/\(a proxy list without "scheme=" after a "scheme=" entry\)/)
  })

  test('unknown keys, bad items and bad bypass rules are dropped, the rest routes', async ({ session, server }) => {
    resetProxy()
    await session.setProxy({ proxyRules: `crazy=foo:1 ; http=bad:port,${hostPort(httpProxy)}`, proxyBypassRules: '<bogus>, b.test' })
    expect(await session.resolveProxy('http://a.test/')).toBe(`PROXY ${hostPort(httpProxy)}`)
    expect(await session.resolveProxy('http://b.test/')).toBe('DIRECT')
    const wc = await session.createWebContents()
    await fetchText(wc, siteUrl(server, '/empty.html?kept'))
    expect(seen('?kept')).toBe(true)
    const text = await warningsSoFar()
    expect(text).toMatch(/"crazy=foo:1" \(Chromium knows http=, https=, ftp= and socks=\)/)
    expect(text).toMatch(/proxy "bad:port"/)
    expect(text).toMatch(/ignored bypass rule "<bogus>" in proxyBypassRules/)
  })

  test('white space only names no usable proxy: requests fail with ERR_NO_SUPPORTED_PROXIES, loopback stays DIRECT', async ({ session, server }) => {
    resetProxy()
    await session.setProxy({ proxyRules: '   ' })
    expect(await session.resolveProxy('http://a.test/')).toBe('')
    expect(await session.resolveProxy(`${server.origin}/`)).toBe('DIRECT')
    const wc = await session.createWebContents()
    await expect(wc.loadURL(siteUrl(server, '/empty.html?none'))).rejects.toThrow(/^ERR_NO_SUPPORTED_PROXIES \(-336\)/)
    expect(await fetchText(wc, `${server.origin}/empty.html?loopback`)).toBe('')
    expect(server.requestCount('/empty.html')).toBe(1)
  })

  test("only a mode string Electron does not know is rejected, with Electron's message; the old route stays", async ({ session }) => {
    resetProxy()
    await session.setProxy({ proxyRules: hostPort(httpProxy) })
    const error = await session.setProxy({ mode: 'fixed' } as never).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ValidationError)
    expect((error as Error).message).toBe('Invalid mode, must be one of direct, auto_detect, pac_script, fixed_servers or system')
    expect(await session.resolveProxy('http://a.test/')).toBe(`PROXY ${hostPort(httpProxy)}`)
    // a mode of the wrong type is read as absent, as gin reads it for Electron
    await session.setProxy({ mode: 5, proxyRules: 'http=p.example:1' } as never)
    expect(await session.resolveProxy('http://a.test/')).toBe('PROXY p.example:1')
    expect(await warningsSoFar()).toMatch(/config\.mode number 5: not a string/)
  })
})

describe('PAC scripts that cannot be used (mandatory, as Electron sets them)', () => {
  const pacFor = (proxy: TestProxy): string => `function FindProxyForURL(url, host) { return 'PROXY ${hostPort(proxy)}'; }`

  test('a PAC URL answering 404: setProxy resolves, requests fail, the script is fetched again after the retry delay and then routes', async ({ session, server }) => {
    resetProxy()
    process.env.CDP_SESSION_PAC_RETRY_MS = '200'
    await session.setProxy({ pacScript: `${server.origin}/later.pac` })
    expect(server.requestCount('/later.pac')).toBeGreaterThanOrEqual(1)
    expect(await session.resolveProxy('http://a.test/')).toBe('')
    const wc = await session.createWebContents()
    await expect(wc.loadURL(siteUrl(server, '/empty.html?blocked'))).rejects.toThrow(/^ERR_MANDATORY_PROXY_CONFIGURATION_FAILED \(-131\)/)
    expect(server.requestCount('/empty.html')).toBe(0)
    expect(await warningsSoFar()).toMatch(/answered HTTP 404\. Electron's PAC scripts are mandatory/)

    server.setContent('/later.pac', pacFor(httpProxy), 'application/x-ns-proxy-autoconfig')
    // Each resolution is the network activity that lets a due re-check start (the first one runs on a timer).
    await expect.poll(() => session.resolveProxy('http://a.test/'), { timeout: 20_000, interval: 50 }).toBe(`PROXY ${hostPort(httpProxy)}`)
    expect(server.requestCount('/later.pac')).toBeGreaterThanOrEqual(2)
    expect(await fetchText(wc, siteUrl(server, '/empty.html?after-retry'))).toBe('')
    expect(seen('?after-retry')).toBe(true)
  }, 30_000)

  test('a script without FindProxyForURL: setProxy resolves, requests fail, forceReloadProxyConfig fetches at once', async ({ session, server }) => {
    resetProxy()
    // No timed re-check may run in between: only forceReloadProxyConfig fetches again here.
    process.env.CDP_SESSION_PAC_RETRY_MS = '3600000'
    server.setContent('/nofn.pac', 'function SomethingElse() { return "DIRECT" }', 'application/x-ns-proxy-autoconfig')
    await session.setProxy({ pacScript: `${server.origin}/nofn.pac` })
    const wc = await session.createWebContents()
    await expect(wc.loadURL(siteUrl(server, '/empty.html?nofn'))).rejects.toThrow(/^ERR_MANDATORY_PROXY_CONFIGURATION_FAILED/)
    expect(await session.resolveProxy('http://a.test/')).toBe('')
    // loopback never asks the PAC script (implicit bypass), so it still loads
    expect(await fetchText(wc, `${server.origin}/empty.html?loopback`)).toBe('')
    server.setContent('/nofn.pac', pacFor(httpProxy), 'application/x-ns-proxy-autoconfig')
    await session.forceReloadProxyConfig()
    expect(server.requestCount('/nofn.pac')).toBe(2)
    expect(await session.resolveProxy('http://a.test/')).toBe(`PROXY ${hostPort(httpProxy)}`)
    await fetchText(wc, siteUrl(server, '/empty.html?reloaded'))
    expect(seen('?reloaded')).toBe(true)
  })

  test('a script that throws at load: setProxy resolves and requests fail with the mandatory-PAC error', async ({ session, server }) => {
    resetProxy()
    await session.setProxy({ pacScript: `data:,${encodeURIComponent('throw new Error("broken at load"); function FindProxyForURL() { return "DIRECT" }')}` })
    expect(await session.resolveProxy('http://a.test/')).toBe('')
    const wc = await session.createWebContents()
    await expect(wc.loadURL(siteUrl(server, '/empty.html?throws'))).rejects.toThrow(/^ERR_MANDATORY_PROXY_CONFIGURATION_FAILED/)
    // https (a CONNECT through the gateway) fails the same way
    await expect(wc.loadURL(`https://a.test:${server.https.port}/empty.html`)).rejects.toThrow(/^ERR_MANDATORY_PROXY_CONFIGURATION_FAILED/)
    // a page's own fetch() rejects, as a failed request does
    await wc.loadURL(`${server.origin}/empty.html`)
    const outcome = await wc.executeJavaScript(
      `fetch('http://a.test:${server.port}/empty.html?from-page', { mode: 'no-cors' }).then((r) => 'response ' + r.status, (e) => e.name)`,
    )
    expect(outcome).toBe('TypeError')
    expect(server.requestCount('/empty.html')).toBe(1)
    expect(await warningsSoFar()).toMatch(/broken at load/)
  })
})
