/** Owns cleanups (listeners, watchers, timers) and runs them once, last in first out. */
export class Disposer {
  #stack: Array<() => void> = []
  #disposed = false

  get disposed(): boolean {
    return this.#disposed
  }

  add(cleanup: () => void): void {
    if (this.#disposed) {
      cleanup()
      return
    }
    this.#stack.push(cleanup)
  }

  dispose(): void {
    if (this.#disposed) return
    this.#disposed = true
    const errors: unknown[] = []
    for (const cleanup of this.#stack.reverse()) {
      try {
        cleanup()
      } catch (error) {
        errors.push(error)
      }
    }
    this.#stack = []
    if (errors.length === 1) throw errors[0]
    if (errors.length > 1) throw new AggregateError(errors, 'Disposer: several cleanups failed')
  }
}
