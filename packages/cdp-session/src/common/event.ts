import { EventEmitter } from 'node:events'

/** The `event` argument of Electron-style events. */
export class ElectronEvent<Sender = unknown> {
  #defaultPrevented = false
  readonly sender: Sender | undefined

  constructor(sender?: Sender) {
    this.sender = sender
  }

  get defaultPrevented(): boolean {
    return this.#defaultPrevented
  }

  preventDefault(): void {
    this.#defaultPrevented = true
  }
}

export type Listener<Args extends unknown[]> = (...args: Args) => void
export type EventMap<Events> = { [K in keyof Events]: unknown[] }

/**
 * Node's EventEmitter with the event names and arguments of `Events`. A misspelt name is a
 * compile error that lists the names (`'did-finsh-load'` is not assignable to
 * `"did-finish-load" | "dom-ready" | …`), not a listener "of type never".
 */
export class TypedEmitter<Events extends EventMap<Events>> extends EventEmitter {
  override on<K extends keyof Events & string>(event: K, listener: Listener<Events[K]>): this {
    return super.on(event, listener as Listener<unknown[]>)
  }
  override addListener<K extends keyof Events & string>(event: K, listener: Listener<Events[K]>): this {
    return super.addListener(event, listener as Listener<unknown[]>)
  }
  override once<K extends keyof Events & string>(event: K, listener: Listener<Events[K]>): this {
    return super.once(event, listener as Listener<unknown[]>)
  }
  override prependListener<K extends keyof Events & string>(event: K, listener: Listener<Events[K]>): this {
    return super.prependListener(event, listener as Listener<unknown[]>)
  }
  override prependOnceListener<K extends keyof Events & string>(event: K, listener: Listener<Events[K]>): this {
    return super.prependOnceListener(event, listener as Listener<unknown[]>)
  }
  override off<K extends keyof Events & string>(event: K, listener: Listener<Events[K]>): this {
    return super.off(event, listener as Listener<unknown[]>)
  }
  override removeListener<K extends keyof Events & string>(event: K, listener: Listener<Events[K]>): this {
    return super.removeListener(event, listener as Listener<unknown[]>)
  }
  override emit<K extends keyof Events & string>(event: K, ...args: Events[K]): boolean {
    return super.emit(event, ...args)
  }
  override listenerCount<K extends keyof Events & string>(event: K): number {
    return super.listenerCount(event)
  }
}
