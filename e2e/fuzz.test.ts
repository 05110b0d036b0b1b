// Fuzzing the public methods (issue #19): seeded arbitrary arguments for every method of a
// Session, its cookies, webRequest, protocol, netLog and a WebContents. Each call must return,
// or throw/reject with a typed library error, within 5 s; the process must not crash; the
// session must still work afterwards. Nothing may leave the machine: every host name fails to
// resolve in the browser and in the gateway (only 127.0.0.1 literals connect), so an arbitrary
// URL that happens to parse reaches no one.
import fc from 'fast-check'
import { CdpSessionError, type Browser, type Session, type WebContents } from 'cdp-session'
import { afterAll, beforeAll } from 'vitest'
import { describe, expect, launchTestBrowser, test } from './fixtures/test.js'

const RUNS = Number(process.env.CDP_SESSION_FUZZ_RUNS ?? 100)
const SEED = Number(process.env.CDP_SESSION_FUZZ_SEED ?? 20261203)
const CALL_BOUND_MS = 5_000

let browser: Browser
beforeAll(async () => {
  browser = await launchTestBrowser({
    args: ['--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'],
    hostResolver: (host) => Promise.reject(new Error(`fuzz: no name resolves (${host})`)),
  })
})
afterAll(() => browser.close())

/** Values of every shape, including the ones a hand-written test never tries. */
const value = fc.oneof(
  { depthSize: 'small' },
  fc.anything({ maxDepth: 2 }),
  fc.string({ maxLength: 40 }),
  fc.webUrl({ validSchemes: ['http', 'https'] }).map((url) => url.replace(/^(https?:\/\/)[^/]+/, '$1127.0.0.1:9')),
  fc.constantFrom('', '*', '<all_urls>', 'https://a.invalid/', 'app', 'persist:x', '/abs/path', 'direct://', 'DIRECT', 'javascript:1', 'data:,x', null, undefined, -1, 0, 1e308, Number.NaN),
  fc.func(fc.anything({ maxDepth: 1 })),
)
const args = fc.array(value, { maxLength: 3 })

type Target = { session: Session; page: WebContents }
/** Every public method name, by object; calls that end the object (close) are left out. */
const METHODS: Array<[string, (t: Target) => object, string[]]> = [
  ['session', (t) => t.session, ['getCacheSize', 'clearCache', 'clearStorageData', 'clearData', 'flushStorageData', 'getBlobData', 'clearAuthCache', 'setProxy', 'resolveProxy', 'forceReloadProxyConfig', 'clearHostResolverCache', 'resolveHost', 'closeAllConnections', 'setUserAgent', 'getUserAgent', 'enableNetworkEmulation', 'disableNetworkEmulation', 'setPreloads', 'getPreloads', 'setDownloadPath', 'createInterruptedDownload', 'setPermissionRequestHandler', 'setPermissionCheckHandler', 'getAllWebContents', 'isPersistent', 'getStoragePath', 'allowNTLMCredentialsForDomains', 'setCertificateVerifyProc']],
  ['cookies', (t) => t.session.cookies, ['get', 'set', 'remove', 'flushStore']],
  ['webRequest', (t) => t.session.webRequest, ['onBeforeRequest', 'onBeforeSendHeaders', 'onSendHeaders', 'onHeadersReceived', 'onResponseStarted', 'onBeforeRedirect', 'onCompleted', 'onErrorOccurred', 'setListenerTimeout']],
  ['protocol', (t) => t.session.protocol, ['registerFileProtocol', 'registerBufferProtocol', 'registerStringProtocol', 'registerHttpProtocol', 'registerStreamProtocol', 'unregisterProtocol', 'isProtocolHandled', 'interceptStringProtocol', 'uninterceptProtocol', 'handle', 'unhandle', 'isProtocolHandled']],
  ['netLog', (t) => t.session.netLog, ['startLogging', 'stopLogging']],
  ['webContents', (t) => t.page, ['getURL', 'executeJavaScript', 'setUserAgent', 'getUserAgent', 'isDestroyed']],
]
const calls = METHODS.flatMap(([owner, of, names]) => names.map((name) => ({ owner, of, name })))

/** What a call did: returned, threw or rejected typed, or something that breaks the promise. */
async function outcome(run: () => unknown): Promise<string> {
  let result: unknown
  try {
    result = run()
  } catch (error) {
    return error instanceof CdpSessionError ? 'threw typed' : `threw untyped ${String(error)}`
  }
  if (!(result instanceof Promise)) return 'returned'
  const settled = await Promise.race([
    result.then(
      () => 'resolved',
      (error: unknown) => (error instanceof CdpSessionError ? 'rejected typed' : `rejected untyped ${String(error)}`),
    ),
    new Promise<string>((resolve) => setTimeout(() => resolve('pending after 5 s'), CALL_BOUND_MS)),
  ])
  return settled
}

describe('fuzz: every public method with arbitrary arguments', () => {
  test(`${RUNS} seeded runs (seed ${SEED}): each call returns or fails typed within 5 s, and the session still works`, async ({ server }) => {
    const session = browser.session.fromPartition(`fuzz-${process.pid}`)
    const page = await session.createWebContents()
    await page.loadURL(server.url('/empty.html'))
    const bad: string[] = []
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...calls), args, async (call, callArgs) => {
        const owner = call.of({ session, page }) as Record<string, (...a: unknown[]) => unknown>
        let result = await outcome(() => owner[call.name]!.apply(owner, callArgs))
        // executeJavaScript rejects with the page's own exception (a ReferenceError, …), as Electron does.
        if (call.name === 'executeJavaScript' && result.startsWith('rejected untyped')) result = 'rejected with the script error'
        if (result.startsWith('pending') || result.includes('untyped')) bad.push(`${call.owner}.${call.name}(${fc.stringify(callArgs)}) → ${result}`)
      }),
      { numRuns: RUNS, seed: SEED, endOnFailure: true },
    )
    // Settle what the fuzz left behind, then check the session is still usable.
    for (const hook of ['onBeforeRequest', 'onBeforeSendHeaders', 'onHeadersReceived', 'onSendHeaders', 'onResponseStarted', 'onBeforeRedirect', 'onCompleted', 'onErrorOccurred'] as const) session.webRequest[hook](null)
    if (session.netLog.currentlyLogging) await session.netLog.stopLogging().catch(() => undefined)
    await session.setProxy({ mode: 'direct' })
    await session.disableNetworkEmulation()
    await session.setPermissionRequestHandler(null)
    session.setPreloads([])
    const fresh = await session.createWebContents()
    await fresh.loadURL(server.url('/empty.html'))
    expect(await fresh.executeJavaScript('1 + 1')).toBe(2)
    await session.cookies.set({ url: server.origin, name: 'after', value: 'fuzz' })
    expect((await session.cookies.get({ name: 'after' })).map((c) => c.value)).toEqual(['fuzz'])
    expect(bad).toEqual([])
    await session.close()
  }, 300_000)
})
