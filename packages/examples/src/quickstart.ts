// Quickstart: three sessions in one Chromium — two in memory, one on disk —
// that share nothing, and a user-agent override that reaches a web worker.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pathToFileURL } from 'node:url'
import { launch, type Session } from 'cdp-session'

export interface QuickstartReport {
  chromium: string
  sessions: Array<{ partition: string; persistent: boolean; storagePath: string | null; cookie: string; localStorage: string | null }>
  worker: { userAgent: string; languages: string[]; acceptLanguageHeader: string | undefined }
}

const WORKER = `onmessage = async () => {
  const headers = await (await fetch('/headers')).json()
  postMessage({ userAgent: navigator.userAgent, languages: navigator.languages, acceptLanguageHeader: headers['accept-language'] })
}`

function startSite(): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/worker.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(WORKER)
    } else if (req.url === '/headers') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers))
    } else {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<title>quickstart</title>')
    }
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

/** Runs the demo and returns what it saw; `log` prints the readable summary. */
export async function runQuickstart(log: (line: string) => void = console.log): Promise<QuickstartReport> {
  const site = await startSite()
  const origin = `http://127.0.0.1:${(site.address() as AddressInfo).port}`
  const browser = await launch()
  try {
    const sessions: Session[] = [
      browser.session.fromPartition('alice'),
      browser.session.fromPartition('bob'),
      browser.session.fromPartition('persist:carol'),
    ]
    // Each session writes its own name into a cookie and localStorage of the same origin...
    for (const ses of sessions) {
      const page = await ses.createWebContents()
      await page.loadURL(`${origin}/`)
      await page.executeJavaScript(`document.cookie = 'owner=${ses.partition}; max-age=3600'; localStorage.setItem('owner', '${ses.partition}')`)
    }
    // ...and reads back only its own.
    const report: QuickstartReport = { chromium: browser.version, sessions: [], worker: { userAgent: '', languages: [], acceptLanguageHeader: undefined } }
    for (const ses of sessions) {
      const page = await ses.createWebContents()
      await page.loadURL(`${origin}/`)
      report.sessions.push({
        partition: ses.partition,
        persistent: ses.isPersistent(),
        storagePath: ses.getStoragePath(),
        cookie: (await page.executeJavaScript('document.cookie')) as string,
        localStorage: (await page.executeJavaScript(`localStorage.getItem('owner')`)) as string | null,
      })
    }

    // A user agent set on a session reaches pages created afterwards and their workers.
    const alice = sessions[0]!
    alice.setUserAgent('QuickstartBot/1.0', 'en-US,fr')
    const page = await alice.createWebContents()
    await page.loadURL(`${origin}/`)
    report.worker = (await page.executeJavaScript(
      `new Promise((resolve) => { const w = new Worker('/worker.js'); w.onmessage = (e) => resolve(e.data); w.postMessage('go') })`,
    )) as QuickstartReport['worker']

    log(`cdp-session quickstart on ${report.chromium}`)
    log('')
    log('partition        persistent  cookie              localStorage  storage')
    for (const s of report.sessions) {
      log(`${s.partition.padEnd(16)} ${String(s.persistent).padEnd(11)} ${s.cookie.padEnd(19)} ${String(s.localStorage).padEnd(13)} ${s.storagePath ?? '(memory)'}`)
    }
    log('')
    log(`worker in 'alice' after setUserAgent: navigator.userAgent = ${report.worker.userAgent}`)
    log(`                                       navigator.languages = ${report.worker.languages.join(', ')}`)
    log(`                                       Accept-Language     = ${report.worker.acceptLanguageHeader}`)
    return report
  } finally {
    await browser.close()
    site.close()
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await runQuickstart()
}
