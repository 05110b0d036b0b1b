import type { Protocol } from 'devtools-protocol'
import type { CdpClient } from './client.js'

/** Our kinds of target; Chromium's `type` strings mapped to the ones a Session cares about. */
export type TargetKind = 'page' | 'iframe' | 'worker' | 'shared_worker' | 'service_worker'

export function targetKind(type: string): TargetKind | undefined {
  switch (type) {
    case 'page':
    case 'iframe':
    case 'worker':
    case 'shared_worker':
    case 'service_worker':
      return type
    default:
      return undefined
  }
}

/** Targets that have frames (and so a Page domain, documents, preloads). */
export function hasFrames(kind: TargetKind): boolean {
  return kind === 'page' || kind === 'iframe'
}

/**
 * Our per-target object: one attached flat session of a page, cross-site iframe,
 * worker or service worker, with the target it was attached under.
 */
export class TargetSession {
  readonly targetId: string
  readonly kind: TargetKind
  readonly client: CdpClient
  readonly parent: TargetSession | undefined
  readonly browserContextId: string | undefined
  readonly openerId: string | undefined
  readonly initialUrl: string
  /** Per-target state that the owning session applies (e.g. registered script ids). */
  readonly applied = new Map<string, unknown>()
  /**
   * The target's own (page-level) `Fetch.enable` while one is on, set by whoever enabled it.
   * The browser-level interceptor re-sends it when it rebuilds the target's loaders, and
   * leaves the target's Fetch state as it found it.
   */
  pageFetch: Protocol.Fetch.EnableRequest | undefined
  readonly #enabled = new Map<string, Promise<unknown>>()

  constructor(client: CdpClient, info: Protocol.Target.TargetInfo, kind: TargetKind, parent: TargetSession | undefined) {
    this.client = client
    this.targetId = info.targetId
    this.kind = kind
    this.parent = parent
    this.browserContextId = info.browserContextId
    this.openerId = info.openerId
    this.initialUrl = info.url
  }

  /**
   * Enables a domain on this target once; later callers share the first
   * answer (several settings and trackers need the same domain).
   */
  enable(domain: 'Network' | 'Page' | 'Runtime'): Promise<unknown> {
    let enabled = this.#enabled.get(domain)
    if (!enabled) {
      const { client } = this
      enabled = domain === 'Network' ? client.send('Network.enable', {}) : domain === 'Page' ? client.send('Page.enable', {}) : client.send('Runtime.enable')
      this.#enabled.set(domain, enabled)
    }
    return enabled
  }

  get closed(): boolean {
    return this.client.detached
  }

  /** The page at the top of this target's parent chain (itself for a page). */
  get topPage(): TargetSession | undefined {
    if (this.kind === 'page') return this
    let node = this.parent
    while (node && node.kind !== 'page') node = node.parent
    return node
  }
}
