/**
 * The page-side half of the permission handlers: a script that runs first in
 * every document (and in every worker) of a session that has a permission
 * handler. CDP has no "permission requested" event, so the shim wraps the
 * web APIs that ask for a permission, asks Node through a `Runtime.addBinding`
 * binding and waits for the answer. Node applies the answer to Chromium's own
 * permission state (`Browser.setPermission`) before it answers, so for the
 * APIs Chromium gates itself the original call then succeeds or fails exactly
 * as Chromium makes it (its own error objects and messages). APIs Chromium
 * does not gate by permission in headless (pointer lock, fullscreen) are
 * refused by the shim itself, the way Chromium refuses them.
 *
 * Wire format (strings through the binding, JSON):
 *   page → Node: { t: 'req' | 'chk', id, permission?, media?, sysex?, url, main, top, origin }
 *   Node → page: globalThis[NAME](id, answer) — id 0 pushes the Notification.permission value.
 * The binding's global is replaced by the delivery function (non-enumerable,
 * non-writable, non-configurable): the page cannot redefine it or read the binding.
 */

/** What a document's shim asks Node. */
export interface ShimMessage {
  t: 'req' | 'chk' | 'hello' | 'dm'
  id: number
  /** The web permission name as the shim saw it (see names.ts). */
  permission?: string
  /** getUserMedia: the kinds asked for. */
  media?: Array<'audio' | 'video'>
  /** requestMIDIAccess({ sysex }). */
  sysex?: boolean
  /** The requesting document's (or worker's) URL. */
  url: string
  origin: string
  /** The top-level origin (location.ancestorOrigins' last entry), for frames. */
  top?: string
  /** `self === top` in a frame; absent in a worker. */
  main?: boolean
  /** getDisplayMedia: whether the frame had a transient user activation when it asked. */
  gesture?: boolean
}

// Shared by the window and worker shims: capture intrinsics before page code
// can replace them, make wrappers look native (name, length, toString).
const COMMON = String.raw`
  const g = globalThis
  const own = Object.getOwnPropertyDescriptor(g, NAME)
  // No binding (not ours), or the shim already ran in this global (runImmediately + new document).
  if (!own || !own.enumerable || typeof own.value !== 'function') return
  const binding = own.value
  const { defineProperty, getOwnPropertyDescriptor } = Object
  const stringify = JSON.stringify
  const apply = Reflect.apply
  const P = Promise
  const pending = new Map()
  const natives = new WeakMap()
  let seq = 0
  // Notification.permission until Node pushes the check handler's answer: Electron's default.
  let pushed = { notification: 'granted' }
  const deliver = (id, answer) => {
    if (id === 0) { pushed = answer; return }
    const resolve = pending.get(id)
    if (resolve) { pending.delete(id); resolve(answer) }
  }
  defineProperty(g, NAME, { value: deliver, enumerable: false, writable: false, configurable: false })
  const fnToString = Function.prototype.toString
  const toStringWrapper = { toString() { return apply(fnToString, natives.get(this) || this, []) } }.toString
  natives.set(toStringWrapper, fnToString)
  defineProperty(Function.prototype, 'toString', { ...getOwnPropertyDescriptor(Function.prototype, 'toString'), value: toStringWrapper })
  // Replaces obj[key] (a method) by wrap(original), keeping what the page can observe of it.
  const hook = (obj, key, wrap) => {
    const desc = obj && getOwnPropertyDescriptor(obj, key)
    if (!desc || typeof desc.value !== 'function') return
    const original = desc.value
    const wrapped = { [key](...args) { return wrap(original, this, args) } }[key]
    defineProperty(wrapped, 'length', { value: original.length })
    natives.set(wrapped, original)
    defineProperty(obj, key, { ...desc, value: wrapped })
  }
  const ask = (message) => new P((resolve) => {
    const id = ++seq
    pending.set(id, resolve)
    message.id = id
    message.url = g.location.href
    message.origin = g.location.origin
    if (IS_WINDOW) {
      const ancestors = g.location.ancestorOrigins
      message.top = ancestors && ancestors.length ? ancestors[ancestors.length - 1] : g.location.origin
      message.main = g === g.top
    }
    apply(binding, g, [stringify(message)])
  })
  const QUERY_NAMES = QUERY_NAMES_JSON
  const Perms = g.Permissions && g.Permissions.prototype
  const statusProto = g.PermissionStatus && g.PermissionStatus.prototype
  const nativeState = statusProto && getOwnPropertyDescriptor(statusProto, 'state') && getOwnPropertyDescriptor(statusProto, 'state').get
  hook(Perms, 'query', (original, self, args) => {
    const result = apply(original, self, args)
    const descriptor = args[0]
    const name = descriptor && typeof descriptor === 'object' ? String(descriptor.name) : ''
    if (!QUERY_NAMES.includes(name)) return result
    const asked = ask({ t: 'chk', permission: name, sysex: Boolean(descriptor.sysex) })
    return P.all([result, asked]).then(([status, answer]) => {
      const get = getOwnPropertyDescriptor({ get state() { return answer.state } }, 'state').get
      if (nativeState) natives.set(get, nativeState)
      defineProperty(status, 'state', { get, configurable: true, enumerable: false })
      return status
    })
  })
  const Notif = g.Notification
  const stateDesc = Notif && getOwnPropertyDescriptor(Notif, 'permission')
  if (stateDesc && stateDesc.get) {
    const nativeGet = stateDesc.get
    const getter = { get permission() { return pushed.notification } }
    const wrappedGet = getOwnPropertyDescriptor(getter, 'permission').get
    natives.set(wrappedGet, nativeGet)
    defineProperty(Notif, 'permission', { ...stateDesc, get: wrappedGet })
  }
`

// Only in windows: the request entry points.
const WINDOW = String.raw`
  const request = (permission, extra) => ask({ t: 'req', permission, ...extra })
  const DOMEx = g.DOMException
  const setT = g.setTimeout.bind(g)
  const clearT = g.clearTimeout.bind(g)
  // Asks first; the original runs once Chromium's state holds the answer.
  const gated = (permission, extra) => (original, self, args) =>
    request(permission, typeof extra === 'function' ? extra(args) : extra).then(() => apply(original, self, args))
  const geo = g.Geolocation && g.Geolocation.prototype
  // Calls Chromium rejects before asking (no success callback) keep their synchronous TypeError.
  hook(geo, 'getCurrentPosition', (original, self, args) => {
    if (typeof args[0] !== 'function') return apply(original, self, args)
    request('geolocation').then(() => apply(original, self, args))
    return undefined
  })
  // watchPosition answers with an id at once: the page gets our id, the real watch starts after the answer.
  const watches = new Map()
  let watchSeq = 0
  hook(geo, 'watchPosition', (original, self, args) => {
    if (typeof args[0] !== 'function') return apply(original, self, args)
    const watch = { real: 0, cleared: false }
    watches.set(++watchSeq, watch)
    request('geolocation').then(() => { if (!watch.cleared) watch.real = apply(original, self, args) })
    return watchSeq
  })
  hook(geo, 'clearWatch', (original, self, args) => {
    const watch = watches.get(args[0])
    if (!watch) return apply(original, self, args)
    watches.delete(args[0])
    watch.cleared = true
    if (watch.real) apply(original, self, [watch.real])
    return undefined
  })
  if (Notif) {
    hook(Notif, 'requestPermission', (original, self, args) => {
      const done = request('notifications').then(() => apply(original, self, []))
      if (typeof args[0] === 'function') done.then(args[0])
      return done
    })
  }
  const md = g.MediaDevices && g.MediaDevices.prototype
  hook(md, 'getUserMedia', gated('media', (args) => {
    const c = args[0] || {}
    const media = []
    if (c.video) media.push('video')
    if (c.audio) media.push('audio')
    return { media }
  }))
  // getDisplayMedia: the display media handler decides (Node answers an error to throw, or
  // lets Chromium capture). A call Chromium refuses anyway (video: false) goes to it unasked.
  hook(md, 'getDisplayMedia', (original, self, args) => {
    const c = args[0] || {}
    if (c.video === false) return apply(original, self, args)
    const activation = g.navigator.userActivation
    const media = c.audio ? ['video', 'audio'] : ['video']
    return ask({ t: 'dm', media, gesture: Boolean(activation && activation.isActive) }).then((answer) => {
      if (answer.error) throw new DOMEx(answer.error[1], answer.error[0])
      // Chromium's own capture; where it has no source to give (headless without a fake one) its
      // promise never settles, so after the bound the page gets the capture failure instead.
      return new P((resolve, reject) => {
        const timer = setT(() => reject(new DOMEx('Error starting capture', 'AbortError')), CAPTURE_TIMEOUT_MS)
        apply(original, self, args).then((stream) => { clearT(timer); resolve(stream) }, (error) => { clearT(timer); reject(error) })
      })
    })
  })
  const nav = g.Navigator && g.Navigator.prototype
  hook(nav, 'requestMIDIAccess', gated('midi', (args) => ({ sysex: Boolean(args[0] && args[0].sysex) })))
  const clip = g.Clipboard && g.Clipboard.prototype
  for (const key of ['readText', 'read']) hook(clip, key, gated('clipboard-read'))
  for (const key of ['writeText', 'write']) hook(clip, key, gated('clipboard-sanitized-write'))
  if (typeof g.getScreenDetails === 'function') hook(g, 'getScreenDetails', gated('window-management'))
  if (g.IdleDetector) hook(g.IdleDetector, 'requestPermission', gated('idle-detection'))
  const doc = g.Document && g.Document.prototype
  hook(doc, 'requestStorageAccess', (original, self, args) => request('storage-access').then((answer) => {
    if (!answer.granted) throw new DOMEx('requestStorageAccess: Permission denied.', 'NotAllowedError')
    return apply(original, self, args)
  }))
  // Chromium gates neither pointer lock nor fullscreen by a permission setting: the shim refuses them.
  const el = g.Element && g.Element.prototype
  hook(el, 'requestPointerLock', (original, self, args) => request('pointerLock').then((answer) => {
    if (answer.granted) return apply(original, self, args)
    const docOf = self.ownerDocument
    if (docOf) docOf.dispatchEvent(new g.Event('pointerlockerror', { bubbles: true }))
    throw new DOMEx('The root document of this element is not valid for pointer lock.', 'WrongDocumentError')
  }))
  hook(el, 'requestFullscreen', (original, self, args) => request('fullscreen').then((answer) => {
    if (answer.granted) return apply(original, self, args)
    self.dispatchEvent(new g.Event('fullscreenerror', { bubbles: true, composed: true }))
    throw new TypeError('Permissions check failed')
  }))
`

/** How long a granted getDisplayMedia waits for Chromium's capture before it fails (AbortError). */
export const CAPTURE_TIMEOUT_MS = 10_000

/** The permission names whose `navigator.permissions.query` the check handler decides. */
export const QUERY_NAMES = [
  'geolocation',
  'notifications',
  'camera',
  'microphone',
  'midi',
  'clipboard-read',
  'clipboard-write',
  'window-management',
  'idle-detection',
  'storage-access',
  'top-level-storage-access',
  'pointer-lock',
  'fullscreen',
  'keyboard-lock',
] as const

function build(name: string, isWindow: boolean): string {
  const body = (isWindow ? COMMON + WINDOW : COMMON)
    .replace('QUERY_NAMES_JSON', JSON.stringify(QUERY_NAMES))
    .replaceAll('IS_WINDOW', String(isWindow))
    .replace('CAPTURE_TIMEOUT_MS', String(CAPTURE_TIMEOUT_MS))
  return `;(() => {\n  const NAME = ${JSON.stringify(name)}\n${body}\n})();`
}

/** For pages and frames (Page.addScriptToEvaluateOnNewDocument). */
export function windowShim(bindingName: string): string {
  return build(bindingName, true)
}

/** For dedicated, shared and service workers (Runtime.evaluate while paused). */
export function workerShim(bindingName: string): string {
  return build(bindingName, false)
}
