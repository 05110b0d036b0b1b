// NTLM and Negotiate against a local server (e2e/fixtures/ntlm.ts checks NTLMv2 with the
// password), and ses.allowNTLMCredentialsForDomains: its input, where its list goes (browser
// processes started afterwards, as Chromium reads --auth-server-allowlist at launch), and what
// it changes on this platform (nothing: there are no ambient credentials, 'login' is asked).
import { readdirSync, readFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { ValidationError, type AuthInfo, type Session, type WebContents } from 'cdp-session'
import { describe, expect, launchTestBrowser, test } from './fixtures/test.js'
import { startNtlmServer, type NtlmServer } from './fixtures/ntlm.js'

const ACCOUNT = { domain: 'CORP', user: 'alice', password: 'open sesame' }

let server: NtlmServer
const warnings: Array<{ message: string; code: string | undefined }> = []
const onWarning = (warning: Error & { code?: string }): void => {
  warnings.push({ message: warning.message, code: warning.code })
}

beforeAll(async () => {
  server = await startNtlmServer({
    account: ACCOUNT,
    open: {
      '/open/fetch.html': '<p>open</p>',
      '/open/frame.html': `<iframe src="/frame.html"></iframe>`,
    },
  })
  process.on('warning', onWarning)
})
afterAll(async () => {
  process.off('warning', onWarning)
  await server.close()
})
afterEach(() => {
  warnings.length = 0
})

/** Warnings are emitted on the next tick. */
async function warningsSoFar(): Promise<typeof warnings> {
  await new Promise((resolve) => setImmediate(resolve))
  return [...warnings]
}

function answerLogin(session: Session, username: string, password: string): AuthInfo[] {
  const seen: AuthInfo[] = []
  session.on('login', (event, _wc, _details, authInfo, callback) => {
    event.preventDefault()
    seen.push(authInfo)
    callback(username, password)
  })
  return seen
}

/** Cancels every challenge ('login' answered with no credentials); returns what was asked. */
function cancelLogin(session: Session): AuthInfo[] {
  const seen: AuthInfo[] = []
  session.on('login', (event, _wc, _details, authInfo, callback) => {
    event.preventDefault()
    seen.push(authInfo)
    callback()
  })
  return seen
}

const bodyText = (wc: WebContents): Promise<unknown> => wc.executeJavaScript('document.body.innerText')

describe('NTLM through login (explicit credentials)', () => {
  const kinds: Array<{ kind: string; path: string; run: (wc: WebContents) => Promise<unknown> }> = [
    {
      kind: 'main frame',
      path: '/main.html',
      run: async (wc) => {
        await wc.loadURL(server.url('/main.html'))
        return bodyText(wc)
      },
    },
    {
      kind: 'fetch() from a page',
      path: '/data.txt',
      run: async (wc) => {
        await wc.loadURL(server.url('/open/fetch.html'))
        return wc.executeJavaScript(`fetch('/data.txt').then(async (r) => r.status + ' ' + (await r.text()))`)
      },
    },
    {
      kind: 'iframe',
      path: '/frame.html',
      run: async (wc) => {
        await wc.loadURL(server.url('/open/frame.html'))
        for (let i = 0; i < 100; i++) {
          const text = await wc.executeJavaScript(`document.querySelector('iframe').contentDocument?.body?.innerText ?? ''`)
          if (typeof text === 'string' && text.startsWith('hello')) return text
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        return `iframe never loaded: ${String(await wc.executeJavaScript(`document.querySelector('iframe').contentDocument?.body?.innerText ?? 'no document'`))}`
      },
    },
  ]
  for (const { kind, path, run } of kinds) {
    test(`${kind}: 'login' is asked with scheme ntlm, and the NTLMv2 answer is the password's`, async ({ session }) => {
      const before = server.attempts.length
      const seen = answerLogin(session, 'CORP\\alice', ACCOUNT.password)
      const wc = await session.createWebContents()
      const result = await run(wc)
      expect(String(result)).toContain('hello CORP\\alice')
      expect(seen).toEqual([{ isProxy: false, scheme: 'ntlm', host: '127.0.0.1', port: server.port, realm: '' }])
      const attempts = server.attempts.slice(before).filter((a) => a.path === path)
      expect(attempts).toHaveLength(1)
      expect(attempts[0]).toMatchObject({ domain: 'CORP', user: 'alice', ntlmV2: true, valid: true })
    })
  }

  test.for([{ gateway: true }, { gateway: false }])('12 fetch() at once, gateway $gateway: each NTLM handshake stays on its own connection (the gateway pins it), all 200', async ({ gateway }, { browser }) => {
    const session = browser.session.fromPartition(`ntlm-many-${String(gateway)}`, { gateway })
    const before = server.attempts.length
    const seen = answerLogin(session, 'CORP\\alice', ACCOUNT.password)
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/open/fetch.html'))
    const statuses = await wc.executeJavaScript(`Promise.all(Array.from({ length: 12 }, (_, i) => fetch('/many/' + i, { cache: 'no-store' }).then((r) => r.status)))`)
    expect(statuses).toEqual(Array.from({ length: 12 }, () => 200))
    const attempts = server.attempts.slice(before)
    expect(attempts.filter((a) => !a.valid)).toEqual([])
    expect(seen.length).toBeGreaterThanOrEqual(1)
    await session.close()
  })

  test('30 fetch() one after another on an authenticated connection: all 200, no listener leak in the gateway', async ({ session }) => {
    answerLogin(session, 'CORP\\alice', ACCOUNT.password)
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/open/fetch.html'))
    const statuses = await wc.executeJavaScript(`(async () => { const out = []; for (let i = 0; i < 30; i++) out.push((await fetch('/seq/' + i, { cache: 'no-store' })).status); return out })()`)
    expect(statuses).toEqual(Array.from({ length: 30 }, () => 200))
    expect((await warningsSoFar()).filter((w) => w.message.includes('MaxListeners'))).toEqual([])
  })

  test('a wrong password: asked 3 times, each a full NTLM handshake the server refuses, then the 401 page', async ({ session }) => {
    const before = server.attempts.length
    const seen = answerLogin(session, 'CORP\\alice', 'wrong')
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/wrong.html'))
    expect(String(await bodyText(wc))).toContain('401')
    expect(seen).toHaveLength(3)
    const attempts = server.attempts.slice(before)
    expect(attempts.map((a) => a.valid)).toEqual([false, false, false])
  })

  test('Negotiate offered first: with no Kerberos ticket Chromium sends no Negotiate token and falls back to NTLM, then Basic', async () => {
    for (const [schemes, expected] of [
      [['Negotiate', 'NTLM'], 'ntlm'],
      [['Negotiate', 'Basic'], 'basic'],
    ] as const) {
      const negotiating = await startNtlmServer({ account: ACCOUNT, schemes: [...schemes] })
      const browser = await launchTestBrowser()
      try {
        const session = browser.session.fromPartition('negotiate')
        const seen = cancelLogin(session)
        const wc = await session.createWebContents()
        await wc.loadURL(negotiating.url('/negotiate.html'))
        expect(seen.map((info) => info.scheme)).toEqual([expected])
        expect(negotiating.schemesSent).not.toContain('Negotiate')
      } finally {
        await browser.close()
        await negotiating.close()
      }
    }
  })
})

describe('allowNTLMCredentialsForDomains', () => {
  test('input: a string in --auth-server-allowlist grammar; anything else is refused with Electron\'s message', async ({ session }) => {
    const call = (...args: unknown[]): unknown => (session.allowNTLMCredentialsForDomains as (...a: unknown[]) => void)(...args)
    expect(() => call()).toThrow('Insufficient number of arguments.')
    expect(() => call(42)).toThrow(ValidationError)
    expect(() => call(42)).toThrow('Error processing argument at index 0, conversion failure from ')
    expect(() => call(['*.corp.example'])).toThrow('conversion failure from ')
    expect(() => call('*.corp.example, intranet, *')).not.toThrow()
    // A rule Chromium drops is dropped here too, and said once, naming it.
    call('good.example, http://[bad')
    const said = (await warningsSoFar()).filter((w) => w.message.includes('bypass rule "http://[bad"'))
    expect(said).toHaveLength(1)
    expect(said[0]?.code).toBe('CDP_SESSION_INPUT_IGNORED')
    expect(said[0]?.message).toContain('session.allowNTLMCredentialsForDomains')
  })

  test('the running browser keeps the list it was launched with: said once per list, and login is still asked', async ({ session }) => {
    const before = server.attempts.length
    session.allowNTLMCredentialsForDomains('127.0.0.1, *.test')
    session.allowNTLMCredentialsForDomains('127.0.0.1, *.test')
    const said = (await warningsSoFar()).filter((w) => w.message.includes('already running'))
    expect(said).toHaveLength(1)
    expect(said[0]?.message).toContain("--auth-server-allowlist=127.0.0.1, *.test")
    const seen = answerLogin(session, 'CORP\\alice', ACCOUNT.password)
    const wc = await session.createWebContents()
    await wc.loadURL(server.url('/listed.html'))
    expect(String(await bodyText(wc))).toContain('hello CORP\\alice')
    expect(seen).toHaveLength(1)
    expect(server.attempts.slice(before)).toHaveLength(1)
  })

  test('a browser launched with --auth-server-allowlist=*: still no ambient NTLM credentials here, login is asked', async () => {
    const browser = await launchTestBrowser({ args: ['--auth-server-allowlist=*'] })
    try {
      const session = browser.session.fromPartition('allowlisted')
      // The launched list is the one asked for: nothing to warn about.
      session.allowNTLMCredentialsForDomains('*')
      expect((await warningsSoFar()).filter((w) => w.message.includes('already running'))).toEqual([])
      const before = server.attempts.length
      const unauthenticatedBefore = server.unauthenticated.length
      const asked = cancelLogin(session)
      const wc = await session.createWebContents()
      await wc.loadURL(server.url('/ambient.html'))
      expect(asked.map((info) => info.scheme)).toEqual(['ntlm'])
      // Chromium sent nothing on its own: no AUTHENTICATE message with anybody's credentials.
      expect(server.attempts.slice(before)).toEqual([])
      expect(server.unauthenticated.length).toBeGreaterThan(unauthenticatedBefore)
      expect(String(await bodyText(wc))).toContain('401')
    } finally {
      await browser.close()
    }
  })

  test('persist: partitions started after the call get the list on their command line; one started before is said', async () => {
    const root = await mkdtemp(join(tmpdir(), 'cdp-session-ntlm-'))
    const browser = await launchTestBrowser({ userDataDir: root })
    try {
      const early = browser.session.fromPartition('persist:early')
      await early.createWebContents()
      early.allowNTLMCredentialsForDomains('*.corp.test')
      const said = (await warningsSoFar()).filter((w) => w.message.includes('already running'))
      expect(said).toHaveLength(1)
      expect(said[0]?.message).toContain('2 browser processes')
      const late = browser.session.fromPartition('persist:late')
      await late.createWebContents()
      expect(allowlistOf(late)).toBe('*.corp.test')
      expect(allowlistOf(early)).toBeUndefined()
    } finally {
      await browser.close()
      await rm(root, { recursive: true, force: true })
    }
  })
})

/** The --auth-server-allowlist of the browser process whose user-data dir is the session's. */
function allowlistOf(session: Session): string | undefined {
  const dir = session.getStoragePath()
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let args: string[]
    try {
      args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')
    } catch {
      continue
    }
    if (!args.includes(`--user-data-dir=${dir}`) || args.some((arg) => arg.startsWith('--type='))) continue
    return args.findLast((arg) => arg.startsWith('--auth-server-allowlist='))?.slice('--auth-server-allowlist='.length)
  }
  throw new Error(`no browser process with --user-data-dir=${dir}`)
}
