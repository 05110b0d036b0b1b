/**
 * A CDP message transport (the pipe or a WebSocket): whole JSON messages in and out. The same
 * shape as puppeteer-core's ConnectionTransport, which frames the protocol on top of it, written
 * here so that the published types do not pull in puppeteer-core's (which need the DOM lib).
 */
export interface Transport {
  send(message: string): void
  close(): void
  onmessage?: (message: string) => void
  onclose?: () => void
}
