// webRequest: block requests by URL pattern, rewrite request and response headers, and watch
// what completed, for every request of one session.
import { launch } from 'cdp-session'
import { isMain, startSite } from './site.js'

export async function runWebRequest(log: (line: string) => void = console.log) {
  const site = await startSite((req) =>
    req.url === '/'
      ? `<title>home</title><img src="/ads/banner.png"><script>fetch('/api').then(async (r) => { await r.text(); document.title = 'api:' + r.headers.get('x-rewritten') })</script>`
      : `seen ${req.headers['x-client'] ?? 'no x-client'}`,
  )
  const browser = await launch()
  try {
    const ses = browser.session.fromPartition('web-request')
    const completed: string[] = []
    const failed: string[] = []
    ses.webRequest.onBeforeRequest({ urls: ['*://*/ads/*'] }, (_details, callback) => callback({ cancel: true }))
    ses.webRequest.onBeforeSendHeaders((details, callback) => callback({ requestHeaders: { ...details.requestHeaders, 'X-Client': 'example' } }))
    ses.webRequest.onHeadersReceived({ urls: [`${site.origin}/api`] }, (details, callback) =>
      callback({ responseHeaders: { ...details.responseHeaders, 'X-Rewritten': ['yes'] } }),
    )
    let apiCompleted: () => void = () => undefined
    const apiDone = new Promise<void>((resolve) => (apiCompleted = resolve))
    ses.webRequest.onCompleted((details) => {
      const path = new URL(details.url).pathname
      completed.push(path)
      if (path === '/api') apiCompleted()
    })
    ses.webRequest.onErrorOccurred((details) => failed.push(`${new URL(details.url).pathname} ${details.error}`))
    const page = await ses.createWebContents()
    await page.loadURL(`${site.origin}/`)
    const title = await page.executeJavaScript(`new Promise((resolve) => {
      const check = () => (document.title.startsWith('api:') ? resolve(document.title) : setTimeout(check, 20))
      check()
    })`)
    // onCompleted reaches Node a moment after the page saw the response: wait for it (bounded).
    await Promise.race([apiDone, new Promise((resolve) => setTimeout(resolve, 5_000))])
    // Chromium also asks for /favicon.ico after the load; it is left out of the report.
    const notFavicon = (path: string): boolean => !path.startsWith('/favicon.ico')
    const report = {
      title,
      serverSaw: site.requests.filter((r) => notFavicon(r.path)).map((r) => `${r.path} ${String(r.headers['x-client'])}`),
      completed: completed.filter(notFavicon).sort(),
      failed,
    }
    log(`page title: ${String(report.title)}; the server saw: ${report.serverSaw.join(', ')}`)
    log(`completed: ${report.completed.join(', ')}; failed: ${report.failed.join(', ') || 'none'}`)
    return report
  } finally {
    await browser.close()
    await site.close()
  }
}

if (isMain(import.meta.url)) await runWebRequest()
