import type { Transport } from './transport.js'
import { NodeWebSocketTransport } from 'puppeteer-core/internal/node/NodeWebSocketTransport.js'
import { BrowserClosedError, LaunchError } from '../common/errors.js'
import { detach } from '../common/util.js'
import { CdpConnection } from './client.js'
import { launchChromium, type ChromiumLaunchOptions, type LaunchedChromium } from './launcher.js'
import { RequestInterceptor } from './request-interceptor.js'
import { TargetManager, type TargetOwner } from './target-manager.js'

/**
 * One browser process (launched by us or connected to) with its connection
 * and target manager. Owners (Sessions) are registered per browser context.
 */
export class BrowserProcess {
  readonly connection: CdpConnection
  readonly targets: TargetManager
  readonly interceptor: RequestInterceptor
  readonly launched: LaunchedChromium | undefined
  /** The `ws://` endpoint: the one connected to, or the launched browser's (with a debugging port). */
  readonly wsEndpoint: string | undefined
  readonly defaultContextId: string | undefined
  readonly userAgent: string
  readonly product: string
  readonly #owners = new Map<string, TargetOwner>()
  #closing: Promise<void> | undefined

  private constructor(
    connection: CdpConnection,
    launched: LaunchedChromium | undefined,
    defaultContextId: string | undefined,
    version: { userAgent: string; product: string },
    wsEndpoint: string | undefined,
  ) {
    this.connection = connection
    this.launched = launched
    this.wsEndpoint = wsEndpoint
    this.defaultContextId = defaultContextId
    this.userAgent = version.userAgent
    this.product = version.product
    this.targets = new TargetManager(connection, (id) => this.#owners.get(id ?? this.#defaultKey))
    this.interceptor = new RequestInterceptor(connection.browser, this.targets)
  }

  static async launch(options: ChromiumLaunchOptions): Promise<BrowserProcess> {
    const launched = await launchChromium(options)
    const connection = new CdpConnection(launched.transport, 'pipe')
    launched.exited.then(
      (exit) => {
        const how = exit.signal ? `signal ${exit.signal}` : `code ${String(exit.code)}`
        connection.setCloseReason(`the browser process ${launched.pid} exited (${how})`)
        connection.dispose()
      },
      () => undefined,
    )
    try {
      return await BrowserProcess.#open(connection, launched, launched.wsEndpoint)
    } catch (error) {
      await launched.close()
      throw error
    }
  }

  static async connect(endpoint: { browserWSEndpoint: string }): Promise<BrowserProcess> {
    let transport: Transport
    try {
      transport = await NodeWebSocketTransport.create(endpoint.browserWSEndpoint)
    } catch (error) {
      throw new LaunchError(`connect: cannot open ${endpoint.browserWSEndpoint}: ${(error as Error).message}. Is Chrome running with --remote-debugging-port?`, { cause: error })
    }
    const connection = new CdpConnection(transport, endpoint.browserWSEndpoint)
    connection.setCloseReason(`the connection to ${endpoint.browserWSEndpoint} closed`)
    return BrowserProcess.#open(connection, undefined, endpoint.browserWSEndpoint)
  }

  static async #open(connection: CdpConnection, launched: LaunchedChromium | undefined, wsEndpoint: string | undefined): Promise<BrowserProcess> {
    // A launched browser answered both with its start-up probe: one round trip fewer.
    if (launched) return new BrowserProcess(connection, launched, launched.firstAnswers.defaultBrowserContextId, launched.firstAnswers.version, wsEndpoint)
    const [version, contexts] = await Promise.all([
      connection.browser.send('Browser.getVersion'),
      connection.browser.send('Target.getBrowserContexts'),
    ])
    return new BrowserProcess(connection, launched, contexts.defaultBrowserContextId, version, wsEndpoint)
  }

  get #defaultKey(): string {
    return this.defaultContextId ?? ''
  }

  get closed(): boolean {
    return this.connection.closed
  }

  /** Targets of `browserContextId` (undefined: the default context) belong to `owner`. */
  setOwner(browserContextId: string | undefined, owner: TargetOwner): void {
    this.#owners.set(browserContextId ?? this.#defaultKey, owner)
  }

  deleteOwner(browserContextId: string | undefined): void {
    this.#owners.delete(browserContextId ?? this.#defaultKey)
  }

  /** Starts attaching to targets; register the default context's owner first. */
  start(): Promise<void> {
    return this.targets.start()
  }

  /**
   * A launched browser is closed (Browser.close, or SIGTERM for a temporary profile; SIGKILL after 5 s) and
   * its temporary profile removed; a connected one is only disconnected.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close()
    return this.#closing
  }

  async #close(): Promise<void> {
    const { launched, connection } = this
    if (!launched) {
      connection.dispose('the browser was disconnected by browser.close()')
      return
    }
    connection.setCloseReason('the browser was closed by browser.close()')
    // A temporary profile is deleted right after, so nothing in it needs saving: on POSIX,
    // SIGTERM (Chromium's session-end shutdown, which skips the cookie store's flush) ends it in
    // about half the time of Browser.close (measured on 156: 49 instead of 92 ms right after
    // launch, 30 instead of 60 ms once idle; docs/decisions.md). A profile that stays, and
    // Windows, where a signal terminates the process outright, get Browser.close.
    const quick = launched.isTemporaryUserDataDir && process.platform !== 'win32'
    await launched.close(
      quick
        ? undefined
        : async () => {
            await connection.browser.send('Browser.close').catch((error: unknown) => {
              // The pipe may close before the answer arrives: that is a success.
              if (!(error instanceof BrowserClosedError)) throw error
            })
          },
    )
    connection.dispose()
  }

  /** Kills a launched browser at once (no effect on a connected one). */
  kill(): void {
    this.launched?.kill()
  }

  whenClosed(callback: () => void): void {
    detach(this.connection.whenClosed.then(callback), 'browser closed callback')
  }
}
