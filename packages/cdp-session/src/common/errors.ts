/**
 * One small error hierarchy. Every error has a stable `code`; messages read
 * `api: what is wrong. what to do.`
 */
export type CdpSessionErrorCode =
  | 'ERR_INVALID_ARGUMENT'
  | 'ERR_NOT_SUPPORTED'
  | 'ERR_PROTOCOL'
  | 'ERR_TARGET_CLOSED'
  | 'ERR_SESSION_CLOSED'
  | 'ERR_BROWSER_CLOSED'
  | 'ERR_BROWSER_NOT_FOUND'
  | 'ERR_LAUNCH_FAILED'
  | 'ERR_NAVIGATION'
  | 'ERR_COOKIE_REJECTED'
  | 'ERR_NAME_NOT_RESOLVED'

export class CdpSessionError extends Error {
  readonly code: CdpSessionErrorCode
  constructor(code: CdpSessionErrorCode, message: string, options?: ErrorOptions) {
    super(message, options)
    this.code = code
    this.name = new.target.name
  }
}

/** Bad input to a public API: names the argument, the value and what was expected. */
export class ValidationError extends CdpSessionError {
  readonly argument: string
  readonly value: unknown
  constructor(api: string, argument: string, value: unknown, expected: string) {
    super('ERR_INVALID_ARGUMENT', `${api}: argument '${argument}' is ${describeValue(value)}; expected ${expected}.`)
    this.argument = argument
    this.value = value
  }
}

/** Something Chromium (or CDP) cannot do; the message names the gap. */
export class NotSupportedError extends CdpSessionError {
  constructor(message: string) {
    super('ERR_NOT_SUPPORTED', message)
  }
}

/** A CDP command answered with an error. */
export class ProtocolError extends CdpSessionError {
  readonly method: string
  constructor(method: string, message: string, options?: ErrorOptions) {
    super('ERR_PROTOCOL', `${method}: ${message}`, options)
    this.method = method
  }
}

/** The target (page, frame, worker) went away while a command was pending. */
export class TargetClosedError extends CdpSessionError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_TARGET_CLOSED', message, options)
  }
}

/** A method of a Session that was closed. */
export class SessionClosedError extends CdpSessionError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_SESSION_CLOSED', message, options)
  }
}

/** The browser process died or the connection to it was closed. */
export class BrowserClosedError extends CdpSessionError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_BROWSER_CLOSED', message, options)
  }
}

export class BrowserNotFoundError extends CdpSessionError {
  readonly tried: readonly string[]
  constructor(message: string, tried: readonly string[]) {
    super('ERR_BROWSER_NOT_FOUND', message)
    this.tried = tried
  }
}

export class LaunchError extends CdpSessionError {
  constructor(message: string, options?: ErrorOptions) {
    super('ERR_LAUNCH_FAILED', message, options)
  }
}

/** A navigation failed; `errorCode` is Chromium's net error number (e.g. -102). */
export class NavigationError extends CdpSessionError {
  readonly errorCode: number
  readonly errorDescription: string
  readonly url: string
  constructor(errorDescription: string, errorCode: number, url: string) {
    super('ERR_NAVIGATION', `${errorDescription} (${errorCode}) loading '${url}'`)
    this.errorCode = errorCode
    this.errorDescription = errorDescription
    this.url = url
  }
}

export function describeValue(value: unknown): string {
  if (value === undefined) return 'undefined'
  if (value === null) return 'null'
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value)
  if (typeof value === 'function') return 'a function'
  if (Array.isArray(value)) return `an array (${safeJson(value)})`
  if (typeof value === 'object') return `an object (${safeJson(value)})`
  return `${typeof value} ${String(value)}`
}

function safeJson(value: unknown): string {
  try {
    const text = JSON.stringify(value) ?? String(value)
    return text.length > 80 ? `${text.slice(0, 77)}...` : text
  } catch {
    return 'unserializable'
  }
}

/** Chromium would refuse the cookie: Electron's `Failed to set cookie - <reason>` message. */
export class CookieRejectedError extends CdpSessionError {
  constructor(message: string) {
    super('ERR_COOKIE_REJECTED', message)
  }
}

/** `ses.resolveHost()` found no address: Electron's `net::ERR_NAME_NOT_RESOLVED` rejection. */
export class HostNotFoundError extends CdpSessionError {
  readonly host: string
  constructor(api: string, host: string, options?: ErrorOptions) {
    super('ERR_NAME_NOT_RESOLVED', `${api}: net::ERR_NAME_NOT_RESOLVED (${host})`, options)
    this.host = host
  }
}
