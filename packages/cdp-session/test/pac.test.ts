// PAC evaluation in the QuickJS sandbox: every standard helper, the Microsoft "Ex" helpers,
// Chromium's URL sanitising, and containment of scripts that loop, throw, bomb memory or
// reach for Node. DNS answers come from a fake resolver; no real name is ever looked up.
import { createServer, type Server } from 'node:http'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { compilePac, isInNetEx, loadPacScript, PacError, sanitizePacUrl, sortIpAddressList, type CompiledPac, type PacOptions } from '../src/net/pac.js'
import type { HostResolver } from '../src/net/resolver.js'

const DNS: Record<string, string[]> = {
  'a.test': ['10.1.2.3', 'fd00::3'],
  'b.test': ['192.168.7.9'],
  'v6only.test': ['fd00::9'],
}

function fakeResolver(log: string[] = []): HostResolver {
  return {
    lookup: (host: string) => {
      log.push(host)
      const found = DNS[host]
      return found === undefined ? Promise.reject(new Error(`ENOTFOUND ${host}`)) : Promise.resolve([...found])
    },
  }
}

const opened: CompiledPac[] = []
async function pac(body: string, options: PacOptions = {}): Promise<CompiledPac> {
  const compiled = await compilePac(body, { resolver: fakeResolver(), myIpAddresses: () => ['192.168.1.5', 'fd00::5'], ...options })
  opened.push(compiled)
  return compiled
}

/** Evaluates `expression` inside FindProxyForURL(url, host) and returns it as JSON. */
async function evaluate(expression: string, url = 'http://a.test/', options: PacOptions = {}): Promise<unknown> {
  const compiled = await pac(`function FindProxyForURL(url, host) { return JSON.stringify(${expression}); }`, options)
  return JSON.parse(await compiled.findProxy(url)) as unknown
}

afterAll(() => {
  for (const compiled of opened) compiled.dispose()
})

describe('PAC helpers', () => {
  it('passes the URL and the bracket-free host', async () => {
    expect(await evaluate('[url, host]', 'http://a.test:81/p?q#frag')).toEqual(['http://a.test:81/p?q', 'a.test'])
    expect(await evaluate('host', 'http://[fd00::1]:8080/')).toBe('fd00::1')
  })

  it('isPlainHostName', async () => {
    expect(await evaluate('[isPlainHostName("intranet"), isPlainHostName("a.test"), isPlainHostName("fd00::1")]')).toEqual([true, false, false])
  })

  it('dnsDomainIs and localHostOrDomainIs', async () => {
    expect(await evaluate('[dnsDomainIs("www.a.test", ".a.test"), dnsDomainIs("www.b.test", ".a.test"), dnsDomainIs("t", "longer")]')).toEqual([true, false, false])
    expect(await evaluate('[localHostOrDomainIs("www.a.test", "www.a.test"), localHostOrDomainIs("www", "www.a.test"), localHostOrDomainIs("www.b.test", "www.a.test")]')).toEqual([true, true, false])
  })

  it('dnsDomainLevels', async () => {
    expect(await evaluate('[dnsDomainLevels("www"), dnsDomainLevels("www.a.test")]')).toEqual([0, 2])
  })

  it('shExpMatch with * and ? and regex characters taken literally', async () => {
    expect(await evaluate('[shExpMatch("http://a.test/x/y", "*/x/*"), shExpMatch("a.test", "?.test"), shExpMatch("ab.test", "?.test"), shExpMatch("a+b", "a+b"), shExpMatch("axb", "a.b"), shExpMatch(1, "*")]'))
      .toEqual([true, true, false, true, false, false])
  })

  it('dnsResolve / isResolvable use the injected resolver (IPv4 only)', async () => {
    const log: string[] = []
    expect(await evaluate('[dnsResolve(host), dnsResolve("v6only.test"), dnsResolve("nx.test"), isResolvable("b.test"), isResolvable("nx.test")]', 'http://a.test/', { resolver: fakeResolver(log) }))
      .toEqual(['10.1.2.3', null, null, true, false])
    expect(new Set(log)).toEqual(new Set(['a.test', 'v6only.test', 'nx.test', 'b.test']))
  })

  it('isInNet resolves names and compares under the mask', async () => {
    expect(await evaluate('[isInNet(host, "10.0.0.0", "255.0.0.0"), isInNet("192.168.7.9", "192.168.0.0", "255.255.0.0"), isInNet("b.test", "10.0.0.0", "255.0.0.0"), isInNet("nx.test", "0.0.0.0", "0.0.0.0"), isInNet(host, "bad", "255.0.0.0")]'))
      .toEqual([true, true, false, false, false])
  })

  it('myIpAddress / myIpAddressEx use the injected addresses', async () => {
    expect(await evaluate('[myIpAddress(), myIpAddressEx()]')).toEqual(['192.168.1.5', '192.168.1.5;fd00::5'])
    expect(await evaluate('myIpAddress()', 'http://a.test/', { myIpAddresses: () => [] })).toBe('127.0.0.1')
  })

  it('dnsResolveEx / isResolvableEx return every family', async () => {
    expect(await evaluate('[dnsResolveEx(host), dnsResolveEx("nx.test"), isResolvableEx("v6only.test"), isResolvableEx("nx.test")]')).toEqual(['10.1.2.3;fd00::3', '', true, false])
  })

  it('isInNetEx with IPv4 and IPv6 prefixes', async () => {
    expect(await evaluate('[isInNetEx("10.1.2.3", "10.0.0.0/8"), isInNetEx("11.1.2.3", "10.0.0.0/8"), isInNetEx("fd00::3", "fd00::/16"), isInNetEx("10.1.2.3", "::ffff:10.0.0.0/104"), isInNetEx("a.test", "10.0.0.0/8"), isInNetEx("10.1.2.3", "10.0.0.0")]'))
      .toEqual([true, false, true, true, false, false])
    expect(isInNetEx('10.0.0.1', '10.0.0.0/33')).toBe(false)
  })

  it('sortIpAddressList puts IPv6 first, ascending; false for bad input', async () => {
    expect(await evaluate('[sortIpAddressList("10.2.0.1; 10.1.0.9;fd00::2;::1"), sortIpAddressList(";"), sortIpAddressList("1.2.3.4;nope"), sortIpAddressList("")]'))
      .toEqual(['::1;fd00::2;10.1.0.9;10.2.0.1', false, false, false])
    expect(sortIpAddressList('1.1.1.1')).toBe('1.1.1.1')
  })

  it('getClientVersion', async () => {
    expect(await evaluate('getClientVersion()')).toBe('1.0')
  })

  describe('time helpers against a pinned clock', () => {
    // Wednesday 2026-06-17 14:30:15 local time.
    const now = (): Date => new Date(2026, 5, 17, 14, 30, 15)
    const at = (expression: string): Promise<unknown> => evaluate(expression, 'http://a.test/', { now })

    it('weekdayRange', async () => {
      expect(await at('[weekdayRange("WED"), weekdayRange("MON", "FRI"), weekdayRange("THU", "SUN"), weekdayRange("SAT", "WED"), weekdayRange("XYZ")]'))
        .toEqual([true, true, false, true, false])
    })

    it('dateRange', async () => {
      expect(await at('[dateRange(17), dateRange(18), dateRange("JUN"), dateRange(2026), dateRange(2025), dateRange(10, 20), dateRange("MAY", "JUL"), dateRange("NOV", "FEB"), dateRange("OCT", "JUN"), dateRange(1, "JUN", 16, "JUN"), dateRange(1, "JUN", 2026, 30, "JUN", 2026), dateRange("DEC", 2025, "JAN", 2026)]'))
        .toEqual([true, false, true, true, false, true, true, false, true, false, true, false])
    })

    it('timeRange', async () => {
      expect(await at('[timeRange(14), timeRange(15), timeRange(9, 17), timeRange(22, 15), timeRange(14, 0, 14, 30), timeRange(14, 31, 15, 0), timeRange(14, 30, 0, 14, 30, 15), timeRange(14, 30, 16, 15, 0, 0)]'))
        .toEqual([true, false, true, true, true, false, true, false])
    })

    it('GMT variants read UTC fields', async () => {
      const utcNoon = (): Date => new Date(Date.UTC(2026, 0, 4, 12, 0, 0)) // a Sunday
      expect(await evaluate('[timeRange(12, "GMT"), weekdayRange("SUN", "GMT"), dateRange(4, "GMT"), dateRange("JAN", "GMT")]', 'http://a.test/', { now: utcNoon }))
        .toEqual([true, true, true, true])
    })
  })

  it('alert() reaches the host', async () => {
    const messages: string[] = []
    const compiled = await pac('alert("loaded"); function FindProxyForURL(u, h) { alert(h); return "DIRECT"; }', { onAlert: (m) => messages.push(m) })
    await compiled.findProxy('http://a.test/')
    expect(messages).toEqual(['loaded', 'a.test'])
  })
})

describe('PAC entry points and results', () => {
  it('returns the raw result string', async () => {
    const compiled = await pac('function FindProxyForURL(url, host) { return host === "a.test" ? "PROXY p.test:8080; SOCKS5 s.test:1080; DIRECT" : "DIRECT"; }')
    expect(await compiled.findProxy('http://a.test/')).toBe('PROXY p.test:8080; SOCKS5 s.test:1080; DIRECT')
    expect(await compiled.findProxy('http://b.test/')).toBe('DIRECT')
  })

  it('uses FindProxyForURLEx when it is the only entry point', async () => {
    const compiled = await pac('function FindProxyForURLEx(url, host) { return "PROXY ex.test:1; " + dnsResolveEx(host); }')
    expect(await compiled.findProxy('http://a.test/')).toBe('PROXY ex.test:1; 10.1.2.3;fd00::3')
  })

  it('prefers FindProxyForURL when both exist (Chromium calls only that one)', async () => {
    const compiled = await pac('function FindProxyForURL() { return "A"; } function FindProxyForURLEx() { return "B"; }')
    expect(await compiled.findProxy('http://a.test/')).toBe('A')
  })

  it('rejects a script with no entry point, or one that does not parse', async () => {
    await expect(pac('var x = 1;')).rejects.toMatchObject({ reason: 'compile', message: expect.stringMatching(/FindProxyForURL/) as unknown })
    await expect(pac('function FindProxyForURL( {')).rejects.toMatchObject({ reason: 'compile', message: expect.stringMatching(/SyntaxError/) as unknown })
  })

  it('a non-string result is an error', async () => {
    const compiled = await pac('function FindProxyForURL() { return 42; }')
    await expect(compiled.findProxy('http://a.test/')).rejects.toMatchObject({ reason: 'result', message: expect.stringMatching(/did not return a string/) as unknown })
  })

  it('re-runs after DNS answers arrive and the answer is stable', async () => {
    const log: string[] = []
    const compiled = await pac('var runs = 0; function FindProxyForURL(u, h) { runs++; var a = dnsResolve("a.test"); var b = dnsResolve("b.test"); return a + " " + b + " " + runs; }', { resolver: fakeResolver(log) })
    // The first run gets placeholders for both names and notes them; the second has the answers.
    expect(await compiled.findProxy('http://x.test/')).toBe('10.1.2.3 192.168.7.9 2')
    expect(log).toEqual(['a.test', 'b.test'])
  })

  it('serialises concurrent calls', async () => {
    const compiled = await pac('function FindProxyForURL(u, h) { return "PROXY " + dnsResolve(h) + ":1"; }')
    const answers = await Promise.all(['http://a.test/', 'http://b.test/', 'http://nx.test/'].map((u) => compiled.findProxy(u)))
    expect(answers).toEqual(['PROXY 10.1.2.3:1', 'PROXY 192.168.7.9:1', 'PROXY null:1'])
  })
})

describe('URL sanitising (Chromium SanitizeUrl)', () => {
  it('strips path and query for https and wss, credentials and fragment for all', async () => {
    expect(sanitizePacUrl('https://user:pw@a.test:8443/secret/path?token=1#frag')).toBe('https://a.test:8443/')
    expect(sanitizePacUrl('https://a.test:443/x')).toBe('https://a.test/')
    expect(sanitizePacUrl('wss://a.test/chat?room=1')).toBe('wss://a.test/')
    expect(sanitizePacUrl('http://user:pw@a.test/p?q=1#f')).toBe('http://a.test/p?q=1')
    expect(sanitizePacUrl('ws://a.test/chat?room=1')).toBe('ws://a.test/chat?room=1')
    const compiled = await pac('function FindProxyForURL(url, host) { return url; }')
    expect(await compiled.findProxy('https://a.test/private?x=1')).toBe('https://a.test/')
  })
})

describe('sandbox containment', () => {
  it('an endless loop is stopped at the deadline and the sandbox stays usable', async () => {
    const compiled = await pac('var n = 0; function FindProxyForURL(u, h) { n++; if (h === "loop.test") while (true) {} return "DIRECT " + n; }', { timeoutMs: 150 })
    const started = Date.now()
    await expect(compiled.findProxy('http://loop.test/')).rejects.toMatchObject({ reason: 'timeout', name: 'PacError' })
    expect(Date.now() - started).toBeLessThan(2000)
    expect(await compiled.findProxy('http://a.test/')).toBe('DIRECT 2')
  })

  it('an endless loop at top level fails compilation', async () => {
    await expect(pac('for (;;) {}', { timeoutMs: 100 })).rejects.toMatchObject({ reason: 'timeout' })
  })

  // The script runs on a worker thread: while it loops for seconds, this event loop keeps
  // turning. A loop on the main thread would hold it for the whole budget (3 s here); the bound
  // leaves room for a machine whose cores other processes share (the worker spins one of them).
  async function maxEventLoopDelayMs(work: () => Promise<unknown>): Promise<number> {
    const histogram = monitorEventLoopDelay({ resolution: 10 })
    histogram.enable()
    try {
      await work()
    } finally {
      histogram.disable()
    }
    return histogram.max / 1e6
  }

  it('the event loop stays responsive while FindProxyForURL loops for 3 s', async () => {
    const compiled = await pac('function FindProxyForURL() { for (;;) {} }', { timeoutMs: 3_000 })
    const delay = await maxEventLoopDelayMs(() => expect(compiled.findProxy('http://a.test/')).rejects.toMatchObject({ reason: 'timeout' }))
    expect(delay).toBeLessThan(1_000)
  })

  it('the event loop stays responsive while the top level loops for 3 s', async () => {
    const delay = await maxEventLoopDelayMs(() => expect(pac('for (;;) {}', { timeoutMs: 3_000 })).rejects.toMatchObject({ reason: 'timeout' }))
    expect(delay).toBeLessThan(1_000)
  })

  it('a worker that overruns its deadline is terminated and the script starts afresh in a new one', async () => {
    // Without the sandbox's interrupt only the worker's hard deadline (budget + grace) stops the loop.
    const compiled = await pac('var n = 0; function FindProxyForURL(u, h) { n++; if (h === "loop.test") for (;;) {} return "DIRECT " + n; }', { timeoutMs: 300, interruptible: false })
    expect(await compiled.findProxy('http://a.test/')).toBe('DIRECT 1')
    const delay = await maxEventLoopDelayMs(() =>
      expect(compiled.findProxy('http://loop.test/')).rejects.toMatchObject({ reason: 'timeout', message: expect.stringMatching(/terminated/) as unknown }),
    )
    expect(delay).toBeLessThan(1_000)
    // A fresh worker compiled the script again: its counter starts over.
    expect(await compiled.findProxy('http://a.test/')).toBe('DIRECT 1')
    expect(await compiled.findProxy('http://a.test/')).toBe('DIRECT 2')
  })

  it('a throw becomes a runtime PacError with the message', async () => {
    const compiled = await pac('function FindProxyForURL() { throw new Error("boom"); }')
    const error = await compiled.findProxy('http://a.test/').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(PacError)
    expect(error).toMatchObject({ reason: 'runtime', message: expect.stringContaining('Error: boom') as unknown })
  })

  it('no Node: require, process, Function-constructor escapes and imports all fail', async () => {
    const compiled = await pac(`function FindProxyForURL() {
      function probe(f) { try { return String(f()); } catch (e) { return 'threw ' + e.name; } }
      return [
        typeof require, typeof process, typeof module, typeof globalThis.Buffer, typeof setTimeout,
        probe(function () { return globalThis.constructor.constructor('return process')(); }),
        probe(function () { return Function('return this')().process; }),
        probe(function () { return FindProxyForURL.constructor('return typeof require')(); }),
      ].join(',');
    }`)
    expect(await compiled.findProxy('http://a.test/')).toBe('undefined,undefined,undefined,undefined,undefined,threw ReferenceError,undefined,undefined')
    await expect(pac('import fs from "fs"; function FindProxyForURL() { return "DIRECT"; }')).rejects.toMatchObject({ reason: 'compile' })
    await expect(pac('function FindProxyForURL() { return "DIRECT"; } require("fs")')).rejects.toMatchObject({ reason: 'compile', message: expect.stringMatching(/require/) as unknown })
  })

  it('a memory bomb hits the memory limit', async () => {
    const compiled = await pac('function FindProxyForURL() { var a = []; for (;;) a.push({ n: a.length, pad: [1, 2, 3, 4] }); }', { memoryLimitBytes: 8 * 1024 * 1024, timeoutMs: 10_000 })
    await expect(compiled.findProxy('http://a.test/')).rejects.toMatchObject({ reason: 'memory' })
  })

  it('deep recursion is a stack overflow, not a crash', async () => {
    const compiled = await pac('function f(n) { return f(n + 1) + 1; } function FindProxyForURL() { return String(f(0)); }')
    await expect(compiled.findProxy('http://a.test/')).rejects.toMatchObject({ reason: 'runtime', message: expect.stringMatching(/stack/i) as unknown })
  })

  it('dispose is idempotent and later calls reject', async () => {
    const compiled = await compilePac('function FindProxyForURL() { return "DIRECT"; }')
    compiled.dispose()
    compiled.dispose()
    await expect(compiled.findProxy('http://a.test/')).rejects.toMatchObject({ reason: 'disposed' })
  })
})

describe('loadPacScript', () => {
  let server: Server
  let origin: string
  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url === '/proxy.pac') {
        res.writeHead(200, { 'Content-Type': 'application/x-ns-proxy-autoconfig' })
        res.end('function FindProxyForURL() { return "PROXY from-http:1"; }')
      } else if (req.url === '/slow.pac') {
        setTimeout(() => res.end('function FindProxyForURL() { return "DIRECT"; }'), 2000).unref()
      } else {
        res.writeHead(404)
        res.end()
      }
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const address = server.address()
    origin = `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}`
  })
  afterAll(async () => {
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })

  it('reads data: URLs (base64 and percent-encoded)', async () => {
    const script = 'function FindProxyForURL() { return "PROXY d:1"; }'
    expect(await loadPacScript(`data:application/x-ns-proxy-autoconfig;base64,${Buffer.from(script).toString('base64')}`)).toBe(script)
    expect(await loadPacScript(`data:,${encodeURIComponent(script)}`)).toBe(script)
  })

  it('fetches http URLs, with a timeout and HTTP errors reported', async () => {
    const source = await loadPacScript(`${origin}/proxy.pac`)
    expect(await (await pac(source)).findProxy('http://a.test/')).toBe('PROXY from-http:1')
    await expect(loadPacScript(`${origin}/missing.pac`)).rejects.toMatchObject({ reason: 'load', message: expect.stringContaining('404') as unknown })
    await expect(loadPacScript(`${origin}/slow.pac`, { timeoutMs: 100 })).rejects.toMatchObject({ reason: 'load', message: expect.stringContaining('100 ms') as unknown })
    await expect(loadPacScript('file:///etc/passwd')).rejects.toMatchObject({ reason: 'load' })
  })
})
