// ses.setUserAgent / getUserAgent: the session's UA and Accept-Language for new pages, their
// frames and workers (existing pages keep theirs, as in Electron).
import { z } from 'zod'
import { acceptLanguageHeader, replaceHeaders } from '../common/headers.js'
import { validateArg } from '../common/validate.js'
import type { InterceptionHandler, InterceptionRegistration } from '../cdp/request-interceptor.js'
import type { TargetManager } from '../cdp/target-manager.js'
import type { TargetSession } from '../cdp/target-session.js'
import type { SessionContext } from './context.js'
import { applyUserAgentOverride, reapplyWorkerNavigator, userAgentOverrideOf, type UserAgentOverride } from './core/user-agent-override.js'

const userAgentSchema = z.string().trim().min(1)
const acceptLanguagesSchema = z
  .string()
  .regex(/^\s*[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*(\s*;\s*q=[01](\.\d{1,3})?)?(\s*,\s*[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*(\s*;\s*q=[01](\.\d{1,3})?)?)*\s*$/)

export class UserAgent {
  readonly #core: SessionContext
  #override: UserAgentOverride | undefined
  /** Browser-level interception of service worker scripts, on once an override is set. */
  #workerScriptHook: InterceptionRegistration | Promise<unknown> | undefined

  constructor(core: SessionContext) {
    this.#core = core
    core.addTargetSetting({ apply: (target) => this.#apply(target), restart: reapplyWorkerNavigator })
    core.addReadiness(() => {
      const hook = this.#workerScriptHook
      return hook instanceof Promise ? hook : (hook?.ready ?? Promise.resolve())
    })
    core.onClose(() => {
      const hook = this.#workerScriptHook
      if (hook && !(hook instanceof Promise)) hook.remove()
      this.#workerScriptHook = undefined
    })
  }

  set(userAgent: string, acceptLanguages?: string): void {
    const api = 'session.setUserAgent'
    this.#core.assertOpen(api)
    const ua = validateArg(api, 'userAgent', userAgentSchema, userAgent, 'a non-empty string')
    if (acceptLanguages !== undefined) {
      validateArg(api, 'acceptLanguages', acceptLanguagesSchema, acceptLanguages, 'a comma-separated list of language tags such as "en-US,fr"')
    }
    this.#override = acceptLanguages === undefined ? { userAgent: ua } : { userAgent: ua, acceptLanguage: acceptLanguages.replace(/\s+/g, '') }
    this.#workerScriptHook ??= this.#core.binding.then((binding) => {
      if (this.#core.closed) return undefined
      const registration = binding.interceptor.add(this.#serviceWorkerScript(binding.manager))
      this.#workerScriptHook = registration
      return registration.ready
    })
  }

  get(): string {
    return this.#override?.userAgent ?? this.#core.init.defaultUserAgent
  }

  /** The languages setUserAgent gave ('en-US,fr'), or undefined: the browser's own. */
  get acceptLanguages(): string | undefined {
    return this.#override?.acceptLanguage
  }

  /**
   * A service worker's own script is fetched by the browser for the registration: no target's
   * UA override applies to it (Chromium 156 sends it without our User-Agent). The paused
   * request names the worker's target id, whose UA was chosen when the worker attached.
   */
  #serviceWorkerScript(manager: TargetManager): InterceptionHandler {
    return {
      priority: 20,
      // A service worker's main script is fetched by the browser with resource type Other.
      patterns: [{ urlPattern: '*', resourceType: 'Other', requestStage: 'Request' }],
      onRequest: (event, target) => {
        if (!target || target.kind !== 'service_worker' || manager.ownerOf(target) !== this.#core) return undefined
        const ua = userAgentOverrideOf(target)
        if (!ua) return undefined
        const replacements: Record<string, string> = { 'User-Agent': ua.userAgent }
        if (ua.acceptLanguage) replacements['Accept-Language'] = acceptLanguageHeader(ua.acceptLanguage)
        return { kind: 'continue', headers: replaceHeaders(event.request.headers, replacements) }
      },
    }
  }

  #apply(target: TargetSession): Array<Promise<unknown>> {
    // A page, service worker or shared worker takes the session's current UA;
    // frames and dedicated workers take the one their page started with.
    const inherits = target.kind === 'iframe' || target.kind === 'worker'
    return applyUserAgentOverride(target, inherits ? userAgentOverrideOf(target.topPage) : this.#override)
  }
}
