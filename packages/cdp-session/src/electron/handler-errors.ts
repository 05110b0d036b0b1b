// The one report for user handlers other than webRequest listeners (those have
// 'web-request-error'): a protocol, login or permission handler that throws, answers malformed,
// answers twice or late, or does not answer in time. The request was already settled by that
// handler's documented policy (docs/decisions.md, "Handlers that misbehave"); the session emits
// 'handler-error' so the fault is visible.
import { debug } from '../common/util.js'
import type { SessionContext } from './context.js'

/** (ours) Which handler misbehaved. */
export type HandlerKind = 'protocol' | 'login' | 'permission-request' | 'permission-check' | 'display-media'

/** (ours) How it misbehaved. */
export type HandlerFault = 'threw' | 'malformed' | 'answered-twice' | 'answered-late' | 'timeout'

/** (ours) What a session reports with 'handler-error'. */
export interface HandlerErrorDetails {
  handler: HandlerKind
  fault: HandlerFault
  /** The request's URL (for a permission: the requesting frame's URL or origin). */
  url: string
  /** What the request got: e.g. 'failed', 'cancelled', 'denied', 'first answer kept'. */
  outcome: string
}

/** Overrides every handler bound below (ms), e.g. for tests: CDP_SESSION_HANDLER_TIMEOUT_MS. */
export const HANDLER_TIMEOUT_ENV = 'CDP_SESSION_HANDLER_TIMEOUT_MS'

/** The bound for one handler call: `defaultMs`, or the positive integer in CDP_SESSION_HANDLER_TIMEOUT_MS. */
export function handlerTimeoutMs(defaultMs: number): number {
  const text = process.env[HANDLER_TIMEOUT_ENV]
  if (text === undefined || !/^\d+$/.test(text.trim())) return defaultMs
  const value = Number(text)
  return value > 0 ? value : defaultMs
}

export function reportHandlerError(session: SessionContext, details: HandlerErrorDetails, error: unknown): void {
  const err = error instanceof Error ? error : new Error(String(error))
  debug('%s handler %s for %s (%s): %s', details.handler, details.fault, details.url, details.outcome, err.message)
  session.facade.emit('handler-error', err, details)
}
