import type { ProtocolMapping } from 'devtools-protocol/types/protocol-mapping.js'
import type { CDPSession } from 'puppeteer-core/internal/api/CDPSession.js'
import { CDPSessionEvent } from 'puppeteer-core/internal/api/CDPSession.js'
import { Connection } from 'puppeteer-core/internal/cdp/Connection.js'
import { withProtocolLog } from './protocol-log.js'
import type { Transport } from './transport.js'
import {
  ConnectionClosedError,
  ProtocolError as PuppeteerProtocolError,
  TargetCloseError,
} from 'puppeteer-core/internal/common/Errors.js'
import { BrowserClosedError, ProtocolError, TargetClosedError } from '../common/errors.js'
import { deferred } from '../common/util.js'

export type CommandName = keyof ProtocolMapping.Commands
export type CommandParams<M extends CommandName> = ProtocolMapping.Commands[M]['paramsType']
export type CommandResult<M extends CommandName> = ProtocolMapping.Commands[M]['returnType']
export type EventName = keyof ProtocolMapping.Events
export type EventPayload<E extends EventName> = ProtocolMapping.Events[E] extends [infer P] ? P : undefined

/** How long a single CDP command may take before it is rejected (ms). */
const COMMAND_TIMEOUT_MS = 180_000

type RawSender = {
  send(method: string, params?: object): Promise<unknown>
  on(event: string, handler: (payload: never) => void): unknown
  off(event: string, handler: (payload: never) => void): unknown
}

/**
 * One flat protocol session: the browser itself (sessionId '') or a target
 * attached with `flatten: true`. Commands are typed by devtools-protocol.
 * Errors are mapped to our hierarchy; the error object is created when the
 * command is sent so that its stack points at the caller.
 */
export class CdpClient {
  readonly sessionId: string
  readonly #raw: RawSender
  readonly #connection: CdpConnection
  #detached = false
  readonly #detachedSignal = deferred<void>()

  constructor(connection: CdpConnection, raw: RawSender, sessionId: string) {
    this.#connection = connection
    this.#raw = raw
    this.sessionId = sessionId
  }

  get detached(): boolean {
    return this.#detached || this.#connection.closed
  }

  /** Resolves when this session is detached (target gone) or the browser closed. */
  get whenDetached(): Promise<void> {
    return this.#detachedSignal.promise
  }

  send<M extends CommandName>(method: M, ...params: CommandParams<M>): Promise<CommandResult<M>> {
    const site = new Error()
    if (this.#connection.closed) return Promise.reject(this.#connection.closedError(method))
    if (this.#detached) return Promise.reject(this.#targetClosed(method, site))
    return (this.#raw.send(method, params[0]) as Promise<CommandResult<M>>).catch((error: unknown) => {
      throw this.#mapError(method, error, site)
    })
  }

  on<E extends EventName>(event: E, handler: (payload: EventPayload<E>) => void): () => void {
    const h = handler as (payload: never) => void
    this.#raw.on(event, h)
    return () => {
      this.#raw.off(event, h)
    }
  }

  /** Called by the connection when the target detached. */
  markDetached(): void {
    if (this.#detached) return
    this.#detached = true
    this.#detachedSignal.resolve()
  }

  #targetClosed(what: string, site: Error): Error {
    if (this.#connection.closed) return this.#connection.closedError(what)
    return withCallerStack(new TargetClosedError(`${what}: the target closed (page, frame or worker is gone).`), site)
  }

  #mapError(method: string, error: unknown, site: Error): Error {
    if (this.#connection.closed || error instanceof ConnectionClosedError) return this.#connection.closedError(method)
    if (error instanceof TargetCloseError) return this.#targetClosed(method, site)
    if (error instanceof PuppeteerProtocolError) {
      return withCallerStack(new ProtocolError(method, error.originalMessage || error.message, { cause: error }), site)
    }
    return error instanceof Error ? error : new ProtocolError(method, String(error))
  }
}

/** Gives `error` the stack of `site` (captured when the command was sent), so it points at the caller. */
function withCallerStack<E extends Error>(error: E, site: Error): E {
  error.stack = `${error.name}: ${error.message}${site.stack?.slice(site.stack.indexOf('\n')) ?? ''}`
  return error
}

/**
 * One connection to one browser process (pipe or WebSocket), built on
 * puppeteer-core's Connection for message framing and flat sessions.
 */
export class CdpConnection {
  readonly #connection: Connection
  readonly browser: CdpClient
  readonly #clients = new Map<string, CdpClient>()
  #closed = false
  #closeReason = 'the browser connection closed'
  readonly #closedSignal = deferred<void>()

  constructor(transport: Transport, label: string) {
    this.#connection = new Connection(label, withProtocolLog(transport), 0, COMMAND_TIMEOUT_MS)
    this.browser = new CdpClient(this, this.#connection as unknown as RawSender, '')
    this.#connection.on(CDPSessionEvent.SessionDetached, (session: CDPSession) => {
      const client = this.#clients.get(session.id())
      this.#clients.delete(session.id())
      client?.markDetached()
    })
    this.#connection.on(CDPSessionEvent.Disconnected, () => {
      this.#markClosed()
    })
  }

  get closed(): boolean {
    return this.#closed
  }

  get whenClosed(): Promise<void> {
    return this.#closedSignal.promise
  }

  /** Sets the reason reported by calls that fail after the connection closes. */
  setCloseReason(reason: string): void {
    if (!this.#closed) this.#closeReason = reason
  }

  closedError(what: string): BrowserClosedError {
    return new BrowserClosedError(`${what}: ${this.#closeReason}. Launch or connect again.`)
  }

  /** The client of an attached flat session (created on `Target.attachedToTarget`). */
  client(sessionId: string): CdpClient {
    let client = this.#clients.get(sessionId)
    if (client) return client
    const raw = this.#connection.session(sessionId)
    if (!raw) throw new TargetClosedError(`CDP session ${sessionId} is not attached.`)
    client = new CdpClient(this, raw as unknown as RawSender, sessionId)
    this.#clients.set(sessionId, client)
    return client
  }

  /** Closes the transport; every pending and later call rejects with BrowserClosedError. */
  dispose(reason?: string): void {
    if (reason) this.setCloseReason(reason)
    this.#connection.dispose()
    this.#markClosed()
  }

  #markClosed(): void {
    if (this.#closed) return
    this.#closed = true
    for (const client of this.#clients.values()) client.markDetached()
    this.#clients.clear()
    this.browser.markDetached()
    this.#closedSignal.resolve()
  }
}
