// ses.setPreloads / getPreloads: scripts that run in every frame of every new document of the
// session before the page's own scripts; a file edited on disk applies to the next document.
import { readFileSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import { watch, type FSWatcher } from 'chokidar'
import { z } from 'zod'
import { ValidationError } from '../common/errors.js'
import { ElectronEvent } from '../common/event.js'
import { debug, detach } from '../common/util.js'
import { validateArg } from '../common/validate.js'
import { hasFrames, type TargetSession } from '../cdp/target-session.js'
import type { SessionContext } from './context.js'

const preloadsSchema = z.array(z.string().refine(isAbsolute, 'not an absolute path'))

export class Preloads {
  readonly #core: SessionContext
  #paths: string[] = []
  #source = ''
  #watcher: FSWatcher | undefined
  #queue: Promise<void> = Promise.resolve()

  constructor(core: SessionContext) {
    this.#core = core
    core.addTargetSetting({ apply: (target) => this.#apply(target) })
    core.onClose(() => {
      this.#closeWatcher()
    })
  }

  /**
   * Runs in the page's main world, each script wrapped in its own function scope; editing a
   * file on disk applies to the next document ('preloads-updated' tells when).
   */
  set(paths: string[]): void {
    const api = 'session.setPreloads'
    this.#core.assertOpen(api)
    const parsed = validateArg(api, 'preloads', preloadsSchema, paths, 'an array of absolute file paths')
    const sources = parsed.map((path) => {
      try {
        return readFileSync(path, 'utf8')
      } catch (error) {
        throw new ValidationError(api, 'preloads', path, `a readable file (${(error as Error).message})`)
      }
    })
    this.#paths = [...parsed]
    this.#source = combinePreloads(parsed, sources)
    this.#closeWatcher()
    if (parsed.length > 0) {
      const watcher = watch(parsed, { ignoreInitial: true })
      watcher.on('change', () => this.#reload())
      watcher.on('add', () => this.#reload())
      watcher.on('error', (error) => debug('preload watcher: %s', String(error)))
      this.#watcher = watcher
    }
    this.#queueApply()
  }

  get(): string[] {
    return [...this.#paths]
  }

  #closeWatcher(): void {
    if (this.#watcher) detach(this.#watcher.close(), 'close preload watcher')
    this.#watcher = undefined
  }

  #reload(): void {
    const sources: string[] = []
    for (const path of this.#paths) {
      try {
        sources.push(readFileSync(path, 'utf8'))
      } catch (error) {
        // Mid-save (an editor replaced the file): keep the last good source.
        this.#core.facade.emit('preload-error', new ElectronEvent(this.#core.facade), path, error as Error)
        return
      }
    }
    this.#source = combinePreloads(this.#paths, sources)
    this.#queueApply()
  }

  #queueApply(): void {
    const paths = [...this.#paths]
    this.#queue = this.#queue
      .then(() => this.#core.forEachTarget((t) => this.#apply(t)))
      .then(
        () => {
          this.#core.facade.emit('preloads-updated', paths)
        },
        (error: unknown) => debug('applying preloads failed: %s', String(error)),
      )
  }

  #apply(target: TargetSession): Array<Promise<unknown>> {
    if (!hasFrames(target.kind)) return []
    const source = this.#source
    const previous = target.applied.get('preload') as { source: string; id: Promise<string> } | undefined
    if (previous?.source === source || (!previous && !source)) return []
    const steps: Array<Promise<unknown>> = []
    if (target.kind === 'iframe') steps.push(target.enable('Page'))
    if (previous) {
      steps.push(previous.id.then((identifier) => target.client.send('Page.removeScriptToEvaluateOnNewDocument', { identifier })))
    }
    if (source) {
      const id = target.client.send('Page.addScriptToEvaluateOnNewDocument', { source }).then((r) => r.identifier)
      target.applied.set('preload', { source, id })
      steps.push(id)
    } else {
      target.applied.delete('preload')
    }
    return steps
  }
}

function combinePreloads(paths: readonly string[], sources: readonly string[]): string {
  return sources
    .map((source, i) => `;(() => {\ntry {\n${source}\n} catch (error) { console.error(${JSON.stringify(`preload ${paths[i]} threw:`)}, error) }\n})();`)
    .join('\n')
}
