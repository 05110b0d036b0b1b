// The session's routing state (net/session-proxy.ts) and the gateway's --host-resolver-rules
// (net/host-rules.ts), without a browser. Gateways listen on 127.0.0.1; nothing connects out.
import { afterEach, describe, expect, it } from 'vitest'
import { ValidationError } from '../src/common/errors.js'
import { hostResolverRulesFlag, parseHostResolverRules, withHostRules } from '../src/net/host-rules.js'
import { createServer, type Server } from 'node:http'
import { PAC_RETRY_ENV } from '../src/net/pac-poller.js'
import { netErrorForFailure, SessionProxy } from '../src/net/session-proxy.js'

const proxies: SessionProxy[] = []
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((p) => p.close()))
})

async function start(env: NodeJS.ProcessEnv = {}): Promise<SessionProxy> {
  const proxy = await SessionProxy.start({ env, lookup: () => Promise.resolve(['127.0.0.1']) })
  proxies.push(proxy)
  return proxy
}

describe('SessionProxy', () => {
  it("mode 'system' reads http_proxy, https_proxy, all_proxy and no_proxy like Chromium's Linux env fallback", async () => {
    const proxy = await start({ http_proxy: 'http://user:pw@10.0.0.1:3128/', HTTPS_PROXY: '10.0.0.2:3129', all_proxy: 'socks5://10.0.0.3:1080', no_proxy: 'internal.example, .corp.example' })
    await proxy.setProxy({ mode: 'system' })
    expect(await proxy.resolveProxy(new URL('http://a.example/'))).toBe('PROXY 10.0.0.1:3128')
    expect(await proxy.resolveProxy(new URL('https://a.example/'))).toBe('PROXY 10.0.0.2:3129')
    expect(await proxy.resolveProxy(new URL('ws://a.example/'))).toBe('SOCKS5 10.0.0.3:1080')
    expect(await proxy.resolveProxy(new URL('http://internal.example/'))).toBe('DIRECT')
    expect(await proxy.resolveProxy(new URL('http://x.corp.example/'))).toBe('DIRECT')
    expect(await (await start()).setProxy({ mode: 'system' }).then(() => 'ok')).toBe('ok')
  })

  it('a PAC script that does not compile: setProxy resolves, requests fail as with a mandatory PAC, localhost stays DIRECT', async () => {
    const proxy = await start()
    await proxy.setProxy({ proxyRules: 'a.example:1' })
    await proxy.setProxy({ pacScript: 'data:,function FindProxyForURL(' })
    // Electron's resolveProxy answers '' for a lookup that fails.
    expect(await proxy.resolveProxy(new URL('http://b.example/'))).toBe('')
    expect(proxy.route.bind(proxy, new URL('http://b.example/'))).toThrow(/PAC script cannot be used/)
    expect(await proxy.resolveProxy(new URL('http://localhost:1/'))).toBe('DIRECT')
  })

  it('a PAC URL that answers 404 is fetched again after the retry delay, and forceReload fetches at once', async () => {
    let body: string | undefined
    let fetches = 0
    const server: Server = createServer((_req, res) => {
      fetches++
      if (body === undefined) res.writeHead(404).end('missing')
      else res.writeHead(200, { 'content-type': 'application/x-ns-proxy-autoconfig' }).end(body)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const previous = process.env[PAC_RETRY_ENV]
    process.env[PAC_RETRY_ENV] = '50'
    try {
      const address = server.address()
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/proxy.pac`
      const proxy = await start()
      await proxy.setProxy({ pacScript: url })
      expect(fetches).toBe(1)
      expect(await proxy.resolveProxy(new URL('http://b.example/'))).toBe('')
      body = "function FindProxyForURL() { return 'PROXY p.example:3' }"
      // Resolutions are the activity that starts the later re-checks (the first runs on a timer).
      await expect.poll(() => proxy.resolveProxy(new URL('http://b.example/')), { timeout: 10_000, interval: 20 }).toBe('PROXY p.example:3')
      expect(fetches).toBeGreaterThanOrEqual(2)
      body = "function FindProxyForURL() { return 'PROXY q.example:4' }"
      const before = fetches
      await proxy.reload()
      expect(fetches).toBe(before + 1)
      expect(await proxy.resolveProxy(new URL('http://b.example/'))).toBe('PROXY q.example:4')
    } finally {
      if (previous === undefined) delete process.env[PAC_RETRY_ENV]
      else process.env[PAC_RETRY_ENV] = previous
      await new Promise((resolve) => server.close(resolve))
    }
  })

  it('a later setProxy wins over an earlier one still fetching its PAC script', async () => {
    const proxy = await start()
    const slow = proxy.setProxy({ pacScript: `data:,${encodeURIComponent("function FindProxyForURL() { return 'PROXY slow.example:1' }")}` })
    await proxy.setProxy({ proxyRules: 'fast.example:2' })
    await slow
    expect(await proxy.resolveProxy(new URL('http://b.example/'))).toBe('PROXY fast.example:2')
  })
})

describe('netErrorForFailure', () => {
  it("maps the gateway's failure codes to the net error Chromium reports without a proxy", () => {
    expect(netErrorForFailure('ECONNREFUSED', false)).toBe('ERR_CONNECTION_REFUSED')
    expect(netErrorForFailure('ENOTFOUND', false)).toBe('ERR_NAME_NOT_RESOLVED')
    expect(netErrorForFailure('ETIMEDOUT', false)).toBe('ERR_CONNECTION_TIMED_OUT')
    expect(netErrorForFailure('ECONNRESET', false)).toBe('ERR_CONNECTION_RESET')
    expect(netErrorForFailure('EHOSTUNREACH', false)).toBe('ERR_ADDRESS_UNREACHABLE')
    expect(netErrorForFailure('ECONNREFUSED', true)).toBe('ERR_PROXY_CONNECTION_FAILED')
    expect(netErrorForFailure('ETUNNEL', true)).toBe('ERR_TUNNEL_CONNECTION_FAILED')
    expect(netErrorForFailure('ESOCKS', true)).toBe('ERR_SOCKS_CONNECTION_FAILED')
    expect(netErrorForFailure('EWHATEVER', false)).toBe('ERR_FAILED')
    expect(netErrorForFailure('EPACFAILED', false)).toBe('ERR_MANDATORY_PROXY_CONFIGURATION_FAILED')
    expect(netErrorForFailure('ENOROUTE', false)).toBe('ERR_NO_SUPPORTED_PROXIES')
  })
})

describe('--host-resolver-rules in the gateway', () => {
  it('MAP, EXCLUDE (wins over MAP) and ~NOTFOUND, with Chromium wildcards', async () => {
    const rules = parseHostResolverRules('MAP *.test 127.0.0.1, EXCLUDE keep.test, map ALIAS.example target.example , MAP *.gone ~NOTFOUND')
    expect(rules.map('a.test')).toBe('127.0.0.1')
    expect(rules.map('keep.test')).toBeUndefined()
    expect(rules.map('alias.example')).toBe('target.example')
    expect(rules.map('other.example')).toBeUndefined()
    expect(rules.map('x.gone')).toBeNull()
    const asked: string[] = []
    const lookup = withHostRules(rules, (host) => {
      asked.push(host)
      return Promise.resolve(['192.0.2.1'])
    })
    expect(await lookup('a.test')).toEqual(['127.0.0.1'])
    expect(await lookup('alias.example')).toEqual(['192.0.2.1'])
    await expect(lookup('x.gone')).rejects.toThrow(/~NOTFOUND/)
    expect(asked).toEqual(['target.example'])
  })

  it('refuses what it cannot honour instead of ignoring it', () => {
    expect(() => parseHostResolverRules('MAP * 127.0.0.1:8080')).toThrow(ValidationError)
    expect(() => parseHostResolverRules('REWRITE a b')).toThrow(/MAP <host pattern>/)
    expect(parseHostResolverRules('MAP [::1] [::1]').map('[::1]')).toBe('::1')
  })

  it('the last --host-resolver-rules flag counts', () => {
    expect(hostResolverRulesFlag(['--x', '--host-resolver-rules=MAP a b', '--host-resolver-rules=MAP c d'])).toBe('MAP c d')
    expect(hostResolverRulesFlag([])).toBeUndefined()
  })
})
