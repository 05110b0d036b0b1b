/**
 * permission-shim: what a permission handler costs a page load that asks for no permission.
 * The same plain page loaded in one page of a session with a permission request and check
 * handler set (the shim runs first in every document and says hello to Node) and without.
 */
import { launchCdpSession, quietly } from '../lib/browsers.js'
import { serveStaticPages } from '../lib/server.js'
import type { Contender, Scenario } from '../lib/types.js'

const PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>bench page</title></head>
<body>
<h1>cdp-session bench</h1>
<p>A small static page served from 127.0.0.1; it asks for no permission.</p>
<ul><li>one</li><li>two</li><li>three</li></ul>
</body>
</html>
`

/** The slice of cdp-session's Session the scenario uses (the bench does not import the library's types). */
interface WithPermissions {
  setPermissionRequestHandler(handler: (webContents: unknown, permission: string, callback: (granted: boolean) => void) => void): Promise<void>
  setPermissionCheckHandler(handler: () => boolean): Promise<void>
}

type CdpSessionBrowser = Awaited<ReturnType<typeof launchCdpSession>>

/**
 * Both contenders share one browser: two launches differ by a few percent on their own on this
 * machine (an A/A run of two handler-less browsers measured 1.00–1.05×), more than the goal.
 */
function sharedBrowser(): { get(): Promise<CdpSessionBrowser>; release(): Promise<void> } {
  let browser: Promise<CdpSessionBrowser> | undefined
  let users = 0
  return {
    get() {
      users++
      browser ??= launchCdpSession()
      return browser
    },
    async release() {
      if (--users > 0 || !browser) return
      const closing = browser
      browser = undefined
      await quietly(async () => (await closing).close())
    },
  }
}

function contender(id: 'cdp-session' | 'cdp-session-baseline', url: (n: number) => string, handlers: boolean, shared: ReturnType<typeof sharedBrowser>): Contender {
  return {
    id,
    label: handlers ? 'cdp-session (permission handlers set)' : 'cdp-session (no handler)',
    async start() {
      const browser = await shared.get()
      const ses = await browser.session.fromPartition(`bench-permissions-${id}`)
      if (handlers) {
        const permissions = ses as unknown as WithPermissions
        await permissions.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
        await permissions.setPermissionCheckHandler(() => false)
      }
      const wc = (await ses.createWebContents()) as { loadURL(url: string): Promise<unknown> }
      return {
        async iteration(n) {
          await wc.loadURL(url(n))
        },
        close: () => shared.release(),
      }
    },
  }
}

export const permissionShim: Scenario = {
  id: 'permission-shim',
  title: 'Permission handlers: a plain page load with and without the shim',
  description:
    'Per iteration: `loadURL()` of a small static page (a new URL each time) in a page of an in-memory session, until its ' +
    '`load` event. "permission handlers set": `setPermissionRequestHandler` and `setPermissionCheckHandler` were called ' +
    'before the page was created, so every document runs the permission shim (wrappers of the permission APIs; Node pushes ' +
    '`Notification.permission` into each new document); "no handler": another session of the same browser without them. ' +
    'Contenders alternate every iteration.',
  goals: { vsBaseline: 1.02 },
  rounds: Number.MAX_SAFE_INTEGER,
  async prepare() {
    const server = await serveStaticPages({ '/page.html': PAGE })
    const url = (n: number): string => `${server.origin}/page.html?n=${n}`
    const shared = sharedBrowser()
    return {
      contenders: [contender('cdp-session', url, true, shared), contender('cdp-session-baseline', url, false, shared)],
      dispose: () => server.close(),
    }
  },
}
