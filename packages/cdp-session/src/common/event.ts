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
