import type { Protocol } from 'devtools-protocol'
import { detach } from '../common/util.js'
import type { TargetSession } from './target-session.js'

/**
 * Frame ids → the target that hosts them. A request paused by browser-level
 * Fetch names only its frame id: a page or a cross-site iframe (OOPIF) is a
 * target of its own, but a same-process iframe is not, so its frame id is
 * learnt from its host's Page.frameAttached (and from the frame tree of a
 * target that already runs when tracking starts).
 */
export class FrameIndex {
  readonly #frames = new Map<string, TargetSession>()
  readonly #tracked = new WeakSet<TargetSession>()

  /** Attach-time step (or for a live target): follows a page's or OOPIF's frames. Idempotent. */
  track(target: TargetSession): Array<Promise<unknown>> {
    if ((target.kind !== 'page' && target.kind !== 'iframe') || this.#tracked.has(target)) return []
    this.#tracked.add(target)
    const { client } = target
    client.on('Page.frameAttached', (e) => {
      this.#frames.set(e.frameId, target)
    })
    client.on('Page.frameDetached', (e) => {
      // 'swap': the frame moves to another process and comes back as a target.
      if (e.reason === 'remove') this.#frames.delete(e.frameId)
    })
    detach(
      client.whenDetached.then(() => {
        for (const [frameId, host] of this.#frames) if (host === target) this.#frames.delete(frameId)
      }),
      'forget frames of a closed target',
    )
    const steps: Array<Promise<unknown>> = [target.enable('Page')]
    if (target.applied.get('ready') === true) {
      steps.push(
        client.send('Page.getFrameTree').then(({ frameTree }) => {
          const walk = (node: Protocol.Page.FrameTree): void => {
            this.#frames.set(node.frame.id, target)
            for (const child of node.childFrames ?? []) walk(child)
          }
          walk(frameTree)
        }),
      )
    }
    return steps
  }

  /** The target of a paused request: the one its frame id names, else the one hosting that frame. */
  targetOf(frameId: string, named: TargetSession | undefined): TargetSession | undefined {
    const found = named ?? this.#frames.get(frameId)
    return found && !found.closed ? found : undefined
  }

  clear(): void {
    this.#frames.clear()
  }
}
