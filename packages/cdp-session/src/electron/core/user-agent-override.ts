// How one target takes a user agent override, shared by the session's setting (user-agent.ts)
// and one page's (webContents.setUserAgent): frames through Emulation (their documents'
// navigator too), workers through Network (request headers and navigator.languages).
import { hasFrames, type TargetSession } from '../../cdp/target-session.js'

export interface UserAgentOverride {
  userAgent: string
  acceptLanguage?: string
}

/** The override a target runs with (recorded by applyUserAgentOverride). */
export function userAgentOverrideOf(target: TargetSession | undefined): UserAgentOverride | undefined {
  return target?.applied.get('ua') as UserAgentOverride | undefined
}

/** Records `ua` as the target's override and sends it; undefined only records that it has none. */
export function applyUserAgentOverride(target: TargetSession, ua: UserAgentOverride | undefined): Array<Promise<unknown>> {
  target.applied.set('ua', ua)
  if (!ua) return []
  const params = ua.acceptLanguage === undefined ? { userAgent: ua.userAgent } : { userAgent: ua.userAgent, acceptLanguage: ua.acceptLanguage }
  if (hasFrames(target.kind)) return [target.client.send('Emulation.setUserAgentOverride', params)]
  const steps: Array<Promise<unknown>> = [target.client.send('Network.setUserAgentOverride', params)]
  // Service and shared workers (started by the browser, not by a page) still report the
  // browser's navigator.userAgent under the Network override (Chromium 156), so the paused
  // worker gets the value defined before its first instruction.
  if (target.kind === 'service_worker' || target.kind === 'shared_worker') {
    steps.push(target.client.send('Runtime.evaluate', { expression: workerNavigatorOverride(ua.userAgent) }))
  }
  return steps
}

/** A service worker started again has a fresh navigator: it gets its recorded override's value again. */
export function reapplyWorkerNavigator(target: TargetSession): Array<Promise<unknown>> {
  const ua = userAgentOverrideOf(target)
  if (!ua || (target.kind !== 'service_worker' && target.kind !== 'shared_worker')) return []
  return [target.client.send('Runtime.evaluate', { expression: workerNavigatorOverride(ua.userAgent) })]
}

function workerNavigatorOverride(userAgent: string): string {
  const appVersion = userAgent.replace(/^Mozilla\//, '')
  return `(() => {
  const define = (name, value) => Object.defineProperty(WorkerNavigator.prototype, name, { get: () => value, configurable: true, enumerable: true })
  define('userAgent', ${JSON.stringify(userAgent)})
  define('appVersion', ${JSON.stringify(appVersion)})
})()`
}
