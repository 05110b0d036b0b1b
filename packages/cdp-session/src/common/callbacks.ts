// The deprecated callback forms of Electron 5/6 (the seed lists them next to the promise forms):
// each calls the promise form and hands its outcome to the callback on the next tick.
import { emitWarning } from 'node:process'

/**
 * Electron's promisify rule for session methods: a callback of two parameters gets
 * `(error, result)`; one of fewer gets `(result)` on success, and nothing on failure (Electron
 * calls it with no arguments). We also emit that failure as a process warning so it is not
 * silent.
 */
export function settleCallback<T>(api: string, promise: Promise<T>, callback: (...args: never[]) => void): void {
  const call = callback as (...args: unknown[]) => void
  promise.then(
    (result) => process.nextTick(() => (call.length >= 2 ? call(null, result) : call(result))),
    (error: unknown) =>
      process.nextTick(() => {
        if (call.length >= 2) call(error)
        else {
          emitWarning(`${api} failed: ${error instanceof Error ? error.message : String(error)}`, { code: 'CDP_SESSION_CALLBACK_ERROR' })
          call()
        }
      }),
  )
}

/** The cookies API's callbacks are error-first: `(error, result)` / `(null, result)`. */
export function settleErrorFirst<T>(promise: Promise<T>, callback: (error: Error | null, result?: T) => void): void {
  promise.then(
    (result) => process.nextTick(() => (result === undefined ? callback(null) : callback(null, result))),
    (error: unknown) => process.nextTick(() => callback(error instanceof Error ? error : new Error(String(error)))),
  )
}
