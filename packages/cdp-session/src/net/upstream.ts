// Opening the gateway's upstream side for one route choice: a direct TCP connection (through
// the gateway's resolver), an HTTP(S) proxy (CONNECT tunnel, or the proxy itself for
// absolute-URI forwarding), or a SOCKS4/SOCKS5 proxy. Failures say whether Chromium would
// fall over to the next entry of the list: only when the proxy itself could not be reached.
import { connect as netConnect, isIP, isIPv4, type Socket } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { SocksClient } from 'socks'
import { bulkReadOptions } from './bulk-read.js'
import { bareHost, type HostResolver } from './resolver.js'

/**
 * One entry of a resolved proxy list, in the order Chromium would try them. The same shape
 * as proxy-config's `ProxyServer`, so its lists can be handed over as they are.
 */
export type ProxyChoice =
  | { scheme: 'direct' }
  | { scheme: 'http' | 'https' | 'socks4' | 'socks5'; host: string; port: number }

/** A destination as host (no brackets) and port. */
export interface Destination {
  host: string
  port: number
}

/** `PROXY host:port`-style label for logs and errors. */
export function describeChoice(choice: ProxyChoice): string {
  if (choice.scheme === 'direct') return 'DIRECT'
  const host = isIP(choice.host) === 6 ? `[${choice.host}]` : choice.host
  return `${choice.scheme}://${host}:${choice.port}`
}

/** A failed attempt; `failover` is true when the next entry of the list should be tried. */
export class UpstreamError extends Error {
  readonly failover: boolean
  readonly code: string
  constructor(message: string, failover: boolean, code: string, options?: ErrorOptions) {
    super(message, options)
    this.failover = failover
    this.code = code
    this.name = 'UpstreamError'
  }
}

export interface DialOptions {
  resolver: HostResolver
  /** Limit for reaching the next hop (TCP connect, proxy handshake). */
  timeoutMs: number
  /** Open plain TCP connections with large reads (see bulk-read.ts). */
  bulkReads?: boolean
}

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code
  return typeof code === 'string' ? code : 'ERR_UNKNOWN'
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}

/** TCP (or TLS) connection to host:port; rejects with the socket error or a timeout. */
function dialTcp(host: string, port: number, timeoutMs: number, tls: { servername: string } | null, bulkReads = false): Promise<Socket | TLSSocket> {
  return new Promise((resolve, reject) => {
    const bulk = bulkReads && tls === null ? bulkReadOptions() : null
    const socket: Socket | TLSSocket = tls === null
      ? netConnect({ host, port, noDelay: true, ...(bulk === null ? {} : { onread: bulk.onread }) })
      : tlsConnect({ host, port, servername: isIP(tls.servername) === 0 ? tls.servername : undefined, ALPNProtocols: ['http/1.1'] })
    bulk?.bind(socket)
    const timer = setTimeout(() => {
      socket.destroy(Object.assign(new Error(`connecting to ${host}:${port} timed out after ${timeoutMs} ms`), { code: 'ETIMEDOUT' }))
    }, timeoutMs)
    const fail = (error: Error): void => {
      clearTimeout(timer)
      socket.destroy()
      reject(error)
    }
    socket.once('error', fail)
    socket.once(tls === null ? 'connect' : 'secureConnect', () => {
      clearTimeout(timer)
      socket.off('error', fail)
      if (tls !== null) socket.setNoDelay(true)
      resolve(socket)
    })
  })
}

/** Connects to the destination itself, trying each resolved address in turn. */
async function dialDirect(dest: Destination, options: DialOptions): Promise<Socket> {
  let addresses: string[]
  try {
    addresses = await options.resolver.lookup(dest.host)
  } catch (error: unknown) {
    throw new UpstreamError(`could not resolve ${dest.host}: ${message(error)}`, false, 'ENOTFOUND', { cause: error })
  }
  let last: unknown
  for (const address of addresses) {
    try {
      return (await dialTcp(address, dest.port, options.timeoutMs, null, options.bulkReads)) as Socket
    } catch (error: unknown) {
      last = error
    }
  }
  throw new UpstreamError(`could not connect to ${dest.host}:${dest.port}: ${message(last)}`, false, errorCode(last), { cause: last })
}

/** Connects to the proxy of `choice`; failing to reach it is always a fail-over case. */
async function dialProxy(choice: Exclude<ProxyChoice, { scheme: 'direct' }>, options: DialOptions): Promise<Socket | TLSSocket> {
  const host = bareHost(choice.host)
  let addresses: string[]
  try {
    addresses = await options.resolver.lookup(host)
  } catch (error: unknown) {
    throw new UpstreamError(`could not resolve proxy ${describeChoice(choice)}: ${message(error)}`, true, 'ENOTFOUND', { cause: error })
  }
  let last: unknown
  for (const address of addresses) {
    try {
      return await dialTcp(address, choice.port, options.timeoutMs, choice.scheme === 'https' ? { servername: host } : null, options.bulkReads)
    } catch (error: unknown) {
      last = error
    }
  }
  throw new UpstreamError(`proxy ${describeChoice(choice)} is unreachable: ${message(last)}`, true, errorCode(last), { cause: last })
}

/** Reads an HTTP response head from `socket`; returns the status and any bytes after the head. */
function readResponseHead(socket: Socket, timeoutMs: number): Promise<{ status: number; statusLine: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0)
    const cleanup = (): void => {
      clearTimeout(timer)
      socket.off('data', onData)
      socket.off('error', onError)
      socket.off('close', onClose)
    }
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk])
      const end = buffered.indexOf('\r\n\r\n')
      if (end < 0) {
        if (buffered.length > 64 * 1024) onError(new Error('proxy response head is larger than 64 KiB'))
        return
      }
      cleanup()
      socket.pause()
      const statusLine = buffered.subarray(0, buffered.indexOf('\r\n')).toString('latin1')
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0)
      resolve({ status, statusLine, rest: buffered.subarray(end + 4) })
    }
    const onError = (error: Error): void => {
      cleanup()
      reject(error)
    }
    const onClose = (): void => onError(Object.assign(new Error('proxy closed the connection before answering'), { code: 'ECONNRESET' }))
    const timer = setTimeout(() => onError(Object.assign(new Error(`proxy did not answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })), timeoutMs)
    socket.on('data', onData)
    socket.once('error', onError)
    socket.once('close', onClose)
  })
}

function authority(dest: Destination): string {
  return isIP(dest.host) === 6 ? `[${dest.host}]:${dest.port}` : `${dest.host}:${dest.port}`
}

async function socksHandshake(choice: Exclude<ProxyChoice, { scheme: 'direct' }>, dest: Destination, options: DialOptions): Promise<Socket> {
  const proxySocket = (await dialProxy(choice, options)) as Socket
  let target = dest.host
  if (choice.scheme === 'socks4' && !isIPv4(target)) {
    // SOCKS4 carries only IPv4 addresses, so (like Chromium) the name is resolved here.
    try {
      const found = (await options.resolver.lookup(target)).find((a) => isIPv4(a))
      if (found === undefined) throw new Error('no IPv4 address')
      target = found
    } catch (error: unknown) {
      proxySocket.destroy()
      throw new UpstreamError(`could not resolve ${dest.host} for SOCKS4: ${message(error)}`, false, 'ENOTFOUND', { cause: error })
    }
  }
  try {
    const { socket } = await SocksClient.createConnection({
      proxy: { host: choice.host, port: choice.port, type: choice.scheme === 'socks4' ? 4 : 5 },
      destination: { host: target, port: dest.port },
      command: 'connect',
      timeout: options.timeoutMs,
      existing_socket: proxySocket,
    })
    return socket
  } catch (error: unknown) {
    proxySocket.destroy()
    // The proxy was reached but did not give us the tunnel: closed mid-handshake or timed
    // out counts as the proxy failing (fail over); an explicit refusal does not.
    const text = message(error)
    const proxyBroke = /closed|timed out|timeout/i.test(text)
    throw new UpstreamError(`${describeChoice(choice)} could not connect to ${authority(dest)}: ${text}`, proxyBroke, proxyBroke ? 'ECONNRESET' : 'ESOCKS', { cause: error })
  }
}

/**
 * A byte stream to `dest` through `choice` (CONNECT tunnel for HTTP proxies). Used for CONNECT
 * requests and for forwarding through SOCKS or DIRECT.
 */
export async function openTunnel(choice: ProxyChoice, dest: Destination, options: DialOptions): Promise<Socket> {
  if (choice.scheme === 'direct') return dialDirect(dest, options)
  if (choice.scheme === 'socks4' || choice.scheme === 'socks5') return socksHandshake(choice, dest, options)
  const socket = (await dialProxy(choice, options)) as Socket
  const target = authority(dest)
  socket.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n\r\n`)
  let answer: { status: number; statusLine: string; rest: Buffer }
  try {
    answer = await readResponseHead(socket, options.timeoutMs)
  } catch (error: unknown) {
    socket.destroy()
    throw new UpstreamError(`proxy ${describeChoice(choice)} failed during CONNECT: ${message(error)}`, true, errorCode(error), { cause: error })
  }
  if (answer.status !== 200) {
    socket.destroy()
    throw new UpstreamError(`proxy ${describeChoice(choice)} refused CONNECT ${target}: ${answer.statusLine}`, false, 'ETUNNEL')
  }
  if (answer.rest.length > 0) socket.unshift(answer.rest)
  return socket
}

/**
 * The connection an HTTP request (or ws:// upgrade) for `dest` is written to. `absoluteForm`
 * is true when the request must name the full URL (an HTTP proxy), false for origin form.
 */
export async function openForRequest(choice: ProxyChoice, dest: Destination, options: DialOptions): Promise<{ socket: Socket; absoluteForm: boolean }> {
  if (choice.scheme === 'http' || choice.scheme === 'https') return { socket: (await dialProxy(choice, options)) as Socket, absoluteForm: true }
  return { socket: await openTunnel(choice, dest, options), absoluteForm: false }
}
