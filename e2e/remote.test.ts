// A browser on "another host", simulated on this machine: its DevTools endpoint is reached through
// a TCP relay on 127.0.0.2 (Chromium 156 ignores --remote-debugging-address and listens on
// 127.0.0.1 only), so connect() sees a non-loopback-127.0.0.1 endpoint, as it would for a Chrome
// in a container or a grid. The gateways then need `gatewayHost`: an address the browser reaches.
import { createServer, connect as tcpConnect, type Server, type Socket } from 'node:net'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll } from 'vitest'
import { connect, NotSupportedError, ValidationError, type Browser } from 'cdp-session'
import { describe, expect, launchTestBrowser, test } from './fixtures/test.js'
import { startHttpProxy, startTestServer, type TestProxy, type TestServer } from './fixtures/server.js'
import { listeningAddresses, rawProxyRequest } from './fixtures/net-util.js'
import { bindingOf } from './fixtures/internals.js'

let owner: Browser
let relay: Server
let remoteEndpoint = ''
let site: TestServer
let proxy: TestProxy
const sockets = new Set<Socket>()

beforeAll(async () => {
  // The remote browser is a plain one: no gateway flags of its own (its contexts would inherit them).
  owner = await launchTestBrowser({ remoteDebuggingPort: 0, gateway: false })
  const local = new URL(owner.wsEndpoint!)
  relay = createServer((client) => {
    const upstream = tcpConnect(Number(local.port), '127.0.0.1')
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => socket.destroy())
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => relay.listen(0, '127.0.0.2', resolve))
  remoteEndpoint = `ws://127.0.0.2:${(relay.address() as AddressInfo).port}${local.pathname}`
  site = await startTestServer()
  proxy = await startHttpProxy()
})
afterAll(async () => {
  for (const socket of sockets) socket.destroy()
  await new Promise<void>((resolve) => relay.close(() => resolve()))
  await owner.close()
  await Promise.all([site.close(), proxy.close()])
})

describe('connect() to a browser elsewhere', () => {
  test('without gatewayHost its sessions have no gateway: pages load directly, setProxy says why', async () => {
    const browser = await connect({ browserWSEndpoint: remoteEndpoint })
    try {
      const session = browser.session.fromPartition('remote-plain')
      const page = await session.createWebContents()
      await page.loadURL(site.url('/plain'))
      expect(page.getURL()).toBe(site.url('/plain'))
      const refused = await session.setProxy({ proxyRules: proxy.url }).catch((error: unknown) => error)
      expect(refused).toBeInstanceOf(NotSupportedError)
      expect((refused as Error).message).toContain('pass connect({ gatewayHost })')
      expect(typeof (await bindingOf(session)).proxy).toBe('string')
      await session.close()
    } finally {
      await browser.close()
    }
  })

  test('with gatewayHost the gateways listen on that address only, demand their credentials, and setProxy routes live', async () => {
    const browser = await connect({ browserWSEndpoint: remoteEndpoint, gatewayHost: '127.0.0.3' })
    try {
      const session = browser.session.fromPartition('remote-gw')
      const binding = await bindingOf(session)
      if (typeof binding.proxy === 'string') throw new Error(`no gateway: ${binding.proxy}`)
      const { gateway } = binding.proxy
      expect(gateway.proxyServer).toBe(`127.0.0.3:${gateway.port}`)
      expect(listeningAddresses(gateway.port)).toEqual(['127.0.0.3'])
      // Anyone else who reaches the address gets a 407 and nothing more.
      expect((await rawProxyRequest(gateway.port, site.url('/'), undefined, '127.0.0.3')).status).toBe(407)
      const page = await session.createWebContents()
      await page.loadURL(site.url('/before'))
      await session.setProxy({ proxyRules: proxy.url.replace('http://', 'http='), proxyBypassRules: '<-loopback>' })
      await page.loadURL(site.url('/after'))
      expect(proxy.requests.map((r) => new URL(r.target, 'http://x').pathname)).toContain('/after')
      expect(proxy.requests.map((r) => new URL(r.target, 'http://x').pathname)).not.toContain('/before')
      await session.close()
    } finally {
      await browser.close()
    }
  })

  test.each([['0.0.0.0'], ['::'], ['not-an-ip'], [42]])('gatewayHost %s is rejected: one specific IP address', async (host) => {
    await expect(connect({ browserWSEndpoint: remoteEndpoint, gatewayHost: host as string })).rejects.toBeInstanceOf(ValidationError)
  })
})
