import { debuglog } from 'node:util'

/** `NODE_DEBUG=cdp-session node app.js` prints internal diagnostics. */
export const debug = debuglog('cdp-session')

export interface Deferred<T> {
  readonly promise: Promise<T>
  resolve(value: T): void
  reject(error: unknown): void
  readonly settled: boolean
}

export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  let settled = false
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return {
    promise,
    resolve: (value) => {
      settled = true
      resolve(value)
    },
    reject: (error) => {
      settled = true
      reject(error)
    },
    get settled() {
      return settled
    },
  }
}

/**
 * The one place for deliberate fire-and-forget: the failure is logged with its
 * label (NODE_DEBUG=cdp-session), never thrown into an unhandled rejection.
 */
export function detach(promise: Promise<unknown>, label: string): void {
  promise.then(undefined, (error: unknown) => {
    debug('%s failed: %s', label, error instanceof Error ? error.message : String(error))
  })
}

/**
 * `promise`'s value if it settles within `ms`, else undefined (the wait is over; the promise
 * goes on). The timer does not keep Node running.
 */
export async function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms)
    timer.unref()
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** A promise that is never allowed to produce an unhandled rejection on its own. */
export function quiet<T>(promise: Promise<T>): Promise<T> {
  promise.then(undefined, () => undefined)
  return promise
}
