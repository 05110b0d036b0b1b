// Network conditions (enableNetworkEmulation / disableNetworkEmulation) and the `cache: false`
// partition option: both are per-target Network settings applied to every page, frame and
// worker of the session, present and future.
import { z } from 'zod'
import { quiet } from '../common/util.js'
import { validateArg } from '../common/validate.js'
import { hasFrames, type TargetSession } from '../cdp/target-session.js'
import type { SessionContext } from './context.js'

export interface NetworkEmulationOptions {
  offline?: boolean
  /** Round-trip latency added to each request, in ms. */
  latency?: number
  /** Bytes per second; 0 or absent means no throttling. */
  downloadThroughput?: number
  uploadThroughput?: number
}

const nonNegative = z.number().finite().nonnegative()
const emulationSchema = z.strictObject({
  offline: z.boolean().optional(),
  latency: nonNegative.optional(),
  downloadThroughput: nonNegative.optional(),
  uploadThroughput: nonNegative.optional(),
})

export class NetworkEmulation {
  readonly #core: SessionContext
  #conditions: NetworkEmulationOptions | undefined

  constructor(core: SessionContext) {
    this.#core = core
    core.addTargetSetting({ apply: (target) => [...this.#apply(target), ...this.#applyCache(target)] })
  }

  enable(options: NetworkEmulationOptions): Promise<void> {
    const api = 'session.enableNetworkEmulation'
    this.#core.assertOpen(api)
    this.#conditions = validateArg(api, 'options', emulationSchema, options, '{ offline?: boolean, latency?: ms ≥ 0, downloadThroughput?: bytes/s ≥ 0, uploadThroughput?: bytes/s ≥ 0 }')
    return quiet(this.#core.forEachTarget((t) => this.#apply(t)))
  }

  disable(): Promise<void> {
    this.#core.assertOpen('session.disableNetworkEmulation')
    this.#conditions = undefined
    return quiet(this.#core.forEachTarget((t) => this.#apply(t)))
  }

  #apply(target: TargetSession): Array<Promise<unknown>> {
    const conditions = this.#conditions
    if (!conditions && target.applied.get('emulation') !== true) return []
    target.applied.set('emulation', Boolean(conditions))
    const steps = [target.enable('Network')]
    // A dedicated worker cannot be given conditions (Chromium answers "Not
    // supported"); once its Network domain is enabled it follows its page.
    if (target.kind !== 'worker') {
      steps.push(
        target.client.send('Network.emulateNetworkConditions', {
          offline: conditions?.offline ?? false,
          latency: conditions?.latency ?? 0,
          downloadThroughput: conditions?.downloadThroughput ? conditions.downloadThroughput : -1,
          uploadThroughput: conditions?.uploadThroughput ? conditions.uploadThroughput : -1,
        }),
      )
    }
    return steps
  }

  /** `fromPartition(p, { cache: false })`: the HTTP cache is off for every page and frame. */
  #applyCache(target: TargetSession): Array<Promise<unknown>> {
    if (this.#core.init.cache || !hasFrames(target.kind)) return []
    return [target.enable('Network'), target.client.send('Network.setCacheDisabled', { cacheDisabled: true })]
  }
}
