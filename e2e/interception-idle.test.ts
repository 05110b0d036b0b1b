// Interception costs nothing while no feature needs it: no Fetch domain is on anywhere (browser
// or page) once a session's gateway credentials are seeded, which the protocol log shows. And a
// hook set while a page is open is live for that page's next request of every kind: Chromium
// rebuilds the open targets' loaders when browser-level Fetch goes on (request-interceptor.ts).
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Session } from 'cdp-session'
import { describe, expect, launchTestBrowser, test } from './fixtures/test.js'
import type { TestServer } from './fixtures/server.js'

/** A page with a same-site iframe, a cross-site iframe (b.test: its own target) and a dedicated worker. */
function servePage(server: TestServer): void {
  const answer = `const reply = typeof window === 'undefined' ? (m) => postMessage(m) : (m) => parent.postMessage(m, '*')
onmessage = (e) => fetch(e.data, { cache: 'no-store' }).then((r) => r.text(), (err) => 'error ' + err.message).then(reply)`
  server.setContent('/idle/frame.html', `<!doctype html><script>${answer.replace('onmessage', 'window.onmessage')}</script>`, 'text/html')
  server.setContent('/idle/xframe.html', `<!doctype html><script>${answer.replace('onmessage', 'window.onmessage')}</script>`, 'text/html')
  server.setContent('/idle/worker.js', answer, 'text/javascript')
  server.setContent('/idle/next.html', '<!doctype html><p>next</p>', 'text/html')
  server.setContent('/idle/data.txt', 'data', 'text/plain', { 'cache-control': 'no-store' })
  server.setContent(
    '/idle/page.html',
    `<!doctype html>
<script>
  const resolvers = {}
  window.framesReady = Promise.all(['same', 'cross'].map((id) => new Promise((resolve) => (resolvers[id] = resolve))))
  window.frameLoaded = (id) => resolvers[id]()
</script>
<iframe id="same" src="/idle/frame.html" onload="frameLoaded('same')"></iframe>
<iframe id="cross" src="http://b.test:${server.port}/idle/xframe.html" onload="frameLoaded('cross')"></iframe>
<script>
  const worker = new Worker('/idle/worker.js')
  const ask = (target, url) => new Promise((resolve) => {
    const source = target === worker ? worker : window
    const listener = (e) => { source.removeEventListener('message', listener); resolve(e.data) }
    source.addEventListener('message', listener)
    target.postMessage(url, ...(target === worker ? [] : ['*']))
  })
  window.probe = async (tag) => {
    const main = await fetch('/idle/data.txt?main-' + tag, { cache: 'no-store' }).then((r) => r.text())
    const img = await new Promise((resolve) => { const i = new Image(); i.onload = () => resolve('img'); i.onerror = () => resolve('img error'); i.src = '/idle/data.txt?img-' + tag })
    const same = await ask(document.getElementById('same').contentWindow, '/idle/data.txt?same-' + tag)
    const cross = await ask(document.getElementById('cross').contentWindow, '/idle/data.txt?cross-' + tag)
    const inWorker = await ask(worker, '/idle/data.txt?worker-' + tag)
    return [main, img, same, cross, inWorker]
  }
</script>`,
    'text/html',
  )
}

const KINDS = ['main', 'img', 'same', 'cross', 'worker']

/** Requests the server received for `pathAndQuery` (the server's own count ignores the query). */
function received(server: TestServer, pathAndQuery: string): number {
  return server.requests.filter((r) => {
    const url = new URL(r.url)
    return url.pathname + url.search === pathAndQuery
  }).length
}

async function hookSetLater(session: Session, server: TestServer, tag: string): Promise<void> {
  servePage(server)
  const wc = await session.createWebContents()
  await wc.loadURL(`http://a.test:${server.port}/idle/page.html`)
  await wc.executeJavaScript('window.framesReady')
  // Before any hook: every kind reaches the server and nobody saw it.
  expect(await wc.executeJavaScript(`window.probe('before-${tag}')`)).toEqual(['data', 'img error', 'data', 'data', 'data'])
  const seen: string[] = []
  session.webRequest.onBeforeRequest((details, callback) => {
    seen.push(details.url)
    callback({})
  })
  // No await between setting the hook and the page's next requests.
  expect(await wc.executeJavaScript(`window.probe('after-${tag}')`)).toEqual(['data', 'img error', 'data', 'data', 'data'])
  await wc.loadURL(`http://a.test:${server.port}/idle/next.html?${tag}`)
  const paths = seen.map((url) => new URL(url)).map((url) => url.pathname + url.search)
  for (const kind of KINDS) {
    expect(paths).toContain(`/idle/data.txt?${kind}-after-${tag}`)
    expect(paths).not.toContain(`/idle/data.txt?${kind}-before-${tag}`)
    expect(received(server, `/idle/data.txt?${kind}-after-${tag}`), kind).toBe(1)
  }
  expect(paths).toContain(`/idle/next.html?${tag}`)
  await wc.close()
}

describe('interception while idle', () => {
  test('a hook set while a page is open sees its next main-frame, subresource, iframe (same- and cross-site) and worker requests', async ({ session, server }) => {
    await hookSetLater(session, server, 'gateway')
  })

  test('the same without a session gateway', async ({ server }) => {
    const browser = await launchTestBrowser({ gateway: false })
    try {
      await hookSetLater(browser.session.fromPartition('idle-direct'), server, 'direct')
    } finally {
      await browser.close()
    }
  })

  test('protocol log: no Fetch command is left on and no request is paused while no hook is set; a hook turns it on, removing it turns it off', async ({ server }) => {
    servePage(server)
    server.setContent('/idle/images.html', `<!doctype html>${Array.from({ length: 20 }, (_, i) => `<img src="/idle/data.txt?i${i}">`).join('')}`, 'text/html')
    const dir = await mkdtemp(join(tmpdir(), 'cdp-session-idle-'))
    try {
      const library = fileURLToPath(new URL('../packages/cdp-session/src/index.ts', import.meta.url))
      const script = join(dir, 'script.mts')
      const page = `http://a.test:${server.port}/idle/images.html`
      await writeFile(
        script,
        `import { launch } from ${JSON.stringify(library)}
const mark = (name) => process.stderr.write('MARK ' + name + '\\n')
const browser = await launch({ args: ${JSON.stringify(TEST_ARGS)} })
const ses = browser.session.fromPartition('idle')
const wc = await ses.createWebContents()
await wc.loadURL(${JSON.stringify(page)} + '?seed')
// The page-level credential interception ends once nothing is waiting (at most 1 s later).
await new Promise((resolve) => setTimeout(resolve, 1500))
mark('idle')
await wc.loadURL(${JSON.stringify(page)} + '?idle')
mark('hook')
ses.webRequest.onBeforeRequest((details, callback) => callback({}))
await wc.loadURL(${JSON.stringify(page)} + '?hook')
mark('removed')
ses.webRequest.onBeforeRequest(null)
await ses.webRequest.ready()
await wc.loadURL(${JSON.stringify(page)} + '?removed')
mark('end')
await browser.close()
`,
      )
      const { code, stderr } = await runLogged(script)
      expect(code, stderr.slice(-3000)).toBe(0)
      const phases = splitPhases(stderr)
      // Before the idle phase, every session that had Fetch on has turned it off again.
      const lastFetch = new Map<string, string>()
      for (const line of phases.get('start') ?? []) {
        const m = / → (\S+) #\d+ (Fetch\.(?:enable|disable)) /.exec(line)
        if (m) lastFetch.set(m[1]!, m[2]!)
      }
      expect([...lastFetch].filter(([, method]) => method === 'Fetch.enable')).toEqual([])
      const paused = (phase: string): number => (phases.get(phase) ?? []).filter((line) => / ⇠ \S+ Fetch\.(requestPaused|authRequired) /.test(line)).length
      const enables = (phase: string): string[] => (phases.get(phase) ?? []).filter((line) => / → \S+ #\d+ Fetch\.enable /.test(line))
      expect(paused('idle')).toBe(0)
      expect(enables('idle')).toEqual([])
      // The same log shows interception when a hook is set: 1 document + 20 images paused.
      expect(paused('hook')).toBeGreaterThanOrEqual(21)
      expect((phases.get('removed') ?? []).some((line) => / → browser #\d+ Fetch\.disable /.test(line))).toBe(true)
      expect(paused('removed')).toBe(0)
      // No request lost in any phase: four loads, each image fetched every time (no-store).
      for (const phase of ['seed', 'idle', 'hook', 'removed']) expect(received(server, `/idle/images.html?${phase}`)).toBe(1)
      for (let i = 0; i < 20; i++) expect(received(server, `/idle/data.txt?i${i}`)).toBe(4)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

const TEST_ARGS = ['--host-resolver-rules=MAP *.test 127.0.0.1']

function splitPhases(stderr: string): Map<string, string[]> {
  const phases = new Map<string, string[]>([['start', []]])
  let current = 'start'
  for (const line of stderr.split('\n')) {
    const mark = /^MARK (\w+)/.exec(line)
    if (mark) {
      current = mark[1]!
      phases.set(current, [])
    } else if (line.startsWith('CDP-SESSION ')) phases.get(current)!.push(line)
  }
  return phases
}

function runLogged(script: string): Promise<{ code: number | null; stderr: string }> {
  const tsx = fileURLToPath(new URL('../packages/cdp-session/node_modules/.bin/tsx', import.meta.url))
  return new Promise((resolve, reject) => {
    const base = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_DEBUG' && name !== 'DEBUG' && !name.startsWith('VITEST')))
    const child = spawn(tsx, [script], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...base, DEBUG: 'cdp-session' } })
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.once('error', reject)
    child.once('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stderr })
    })
  })
}
