// Session preload scripts: ses.setPreloads / getPreloads (Electron 5/6) and newer Electron's
// registerPreloadScript / unregisterPreloadScript / getPreloadScripts, one list underneath, as in
// Electron (setPreloads registers its paths as 'frame' scripts). 'frame' scripts run in every frame
// of every new document of the session before the page's own scripts (Page.addScriptToEvaluate-
// OnNewDocument); 'service-worker' scripts run in every service worker the session starts, before
// its own script (evaluated while the worker is paused at attach). Both run in the page's or
// worker's own global scope, each in its own function scope (Electron runs them in a preload
// world; there is no Node there either way). A file edited on disk applies to the next document
// or worker ('preloads-updated' tells when).
import { randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { isAbsolute } from 'node:path'
import { watch, type FSWatcher } from 'chokidar'
import { z } from 'zod'
import { ValidationError } from '../common/errors.js'
import { ginConversionError, quote, warnIgnoredInput } from '../common/input-policy.js'
import { ElectronEvent } from '../common/event.js'
import { debug, detach } from '../common/util.js'
import { validateArg } from '../common/validate.js'
import { hasFrames, type TargetSession } from '../cdp/target-session.js'
import type { SessionContext } from './context.js'

export type PreloadScriptType = 'frame' | 'service-worker'

/** registerPreloadScript's argument (Electron's PreloadScriptRegistration). */
export interface PreloadScriptRegistration {
  type: PreloadScriptType
  /** Default: a random UUID. */
  id?: string
  /** An absolute path. */
  filePath: string
}

/** What getPreloadScripts lists (Electron's PreloadScript). */
export interface PreloadScript {
  type: PreloadScriptType
  id: string
  filePath: string
}

interface Entry extends PreloadScript {
  /** Registered by setPreloads (replaced by its next call). */
  fromSetPreloads: boolean
  /** The last good text of the file ('' while it could not be read). */
  source: string
}

const preloadsSchema = z.array(z.string().refine(isAbsolute, 'not an absolute path'))
const registrationSchema = z.object({ type: z.enum(['frame', 'service-worker']), id: z.string().optional(), filePath: z.string() }).passthrough()
const REGISTRATION_KEYS = new Set(['type', 'id', 'filePath'])

export class Preloads {
  readonly #core: SessionContext
  #scripts: Entry[] = []
  #watcher: FSWatcher | undefined
  #queue: Promise<void> = Promise.resolve()

  constructor(core: SessionContext) {
    this.#core = core
    core.addTargetSetting({ apply: (target) => this.#apply(target), restart: (target) => this.#serviceWorkerScripts(target) })
    core.onClose(() => {
      this.#closeWatcher()
    })
  }

  /** Electron 5/6: replaces the scripts an earlier call set (registered ones stay); every file must be readable. */
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
    this.#scripts = [
      ...this.#scripts.filter((s) => !s.fromSetPreloads),
      ...parsed.map((filePath, i) => ({ type: 'frame' as const, id: randomUUID(), filePath, fromSetPreloads: true, source: sources[i]! })),
    ]
    this.#changed()
  }

  /** The file paths of the session's 'frame' scripts, in the order they run. */
  get(): string[] {
    return this.#scripts.filter((s) => s.type === 'frame').map((s) => s.filePath)
  }

  /** Adds a script for the session's next documents or service workers; returns its id. Electron's errors for a taken id or a relative path. */
  register(script: PreloadScriptRegistration): string {
    const api = 'session.registerPreloadScript'
    this.#core.assertOpen(api)
    // What gin cannot convert to Electron's PreloadScript (no type of the two, no filePath string) is its TypeError.
    const result = registrationSchema.safeParse(script)
    if (!result.success) throw ginConversionError(api, 0, 'script', script)
    const parsed = result.data
    for (const key of Object.keys(parsed)) {
      if (!REGISTRATION_KEYS.has(key)) warnIgnoredInput(api, `the option ${quote(key)} of script`, "Electron's PreloadScriptRegistration has only type, id and filePath")
    }
    const id = parsed.id ?? randomUUID()
    if (this.#scripts.some((s) => s.id === id)) throw new Error(`Cannot register preload script with existing ID '${id}'`)
    if (!isAbsolute(parsed.filePath)) throw new Error(`Preload script must have absolute path: ${parsed.filePath}`)
    // Electron reads the file when a document loads; one that cannot be read is reported then ('preload-error').
    const entry: Entry = { type: parsed.type, id, filePath: parsed.filePath, fromSetPreloads: false, source: this.#read(parsed.filePath) ?? '' }
    this.#scripts = [...this.#scripts, entry]
    this.#changed()
    return id
  }

  unregister(id: string): void {
    const api = 'session.unregisterPreloadScript'
    this.#core.assertOpen(api)
    validateArg(api, 'id', z.string(), id, 'a preload script id (a string)')
    if (!this.#scripts.some((s) => s.id === id)) throw new Error(`Cannot unregister preload script with non-existing ID '${id}'`)
    this.#scripts = this.#scripts.filter((s) => s.id !== id)
    this.#changed()
  }

  list(): PreloadScript[] {
    return this.#scripts.map(({ type, id, filePath }) => ({ type, id, filePath }))
  }

  /** The file's text, or undefined (then 'preload-error' was emitted). */
  #read(path: string): string | undefined {
    try {
      return readFileSync(path, 'utf8')
    } catch (error) {
      this.#core.facade.emit('preload-error', new ElectronEvent(this.#core.facade), path, error as Error)
      return undefined
    }
  }

  #changed(): void {
    this.#closeWatcher()
    const paths = [...new Set(this.#scripts.map((s) => s.filePath))]
    if (paths.length > 0) {
      const watcher = watch(paths, { ignoreInitial: true })
      watcher.on('change', (path) => this.#reload(path))
      watcher.on('add', (path) => this.#reload(path))
      watcher.on('error', (error) => debug('preload watcher: %s', String(error)))
      this.#watcher = watcher
    }
    this.#queueApply()
  }

  #closeWatcher(): void {
    if (this.#watcher) detach(this.#watcher.close(), 'close preload watcher')
    this.#watcher = undefined
  }

  #reload(path: string): void {
    // Mid-save (an editor replaced the file): keep the last good source.
    const source = this.#read(path)
    if (source === undefined) return
    for (const script of this.#scripts) if (script.filePath === path) script.source = source
    this.#queueApply()
  }

  #queueApply(): void {
    const paths = this.get()
    this.#queue = this.#queue
      .then(() => this.#core.forEachTarget((t) => this.#apply(t)))
      .then(
        () => {
          this.#core.facade.emit('preloads-updated', paths)
        },
        (error: unknown) => debug('applying preloads failed: %s', String(error)),
      )
  }

  /** A service worker's scripts, evaluated while it is paused before its own (at attach, and at each restart). */
  #serviceWorkerScripts(target: TargetSession): Array<Promise<unknown>> {
    if (target.kind !== 'service_worker') return []
    const source = this.#combined('service-worker')
    return source ? [target.client.send('Runtime.evaluate', { expression: source })] : []
  }

  #combined(type: PreloadScriptType): string {
    return combinePreloads(this.#scripts.filter((s) => s.type === type && s.source !== ''))
  }

  #apply(target: TargetSession): Array<Promise<unknown>> {
    // A service worker runs the scripts once, as it starts (the attach step, before it runs).
    if (target.kind === 'service_worker') return target.applied.has('ready') ? [] : this.#serviceWorkerScripts(target)
    if (!hasFrames(target.kind)) return []
    const source = this.#combined('frame')
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

function combinePreloads(scripts: readonly Entry[]): string {
  return scripts
    .map((script) => `;(() => {\ntry {\n${script.source}\n} catch (error) { console.error(${JSON.stringify(`preload ${script.filePath} threw:`)}, error) }\n})();`)
    .join('\n')
}
