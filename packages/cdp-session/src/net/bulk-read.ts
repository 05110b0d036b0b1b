// Large reads for upstream sockets. Node reads a socket 64 KiB at a time; a socket opened with
// `bulkReadOptions()` reads into a 1 MiB buffer instead, so a bulk transfer costs far fewer
// read calls and JS turns. Bytes go to the socket's current sink, called synchronously with a
// view of the read buffer; a sink that keeps the view (queued in a write) says so, and the
// next read then gets a fresh buffer. Without a sink the bytes are copied and pushed, so
// 'data' listeners (proxy handshakes, tunnels) work as on any socket.
import type { Socket } from 'node:net'

const READ_SIZE = 1 << 20

/** Receives the bytes of one read; returns true when it kept a reference to `chunk`. */
export type ReadSink = (chunk: Buffer) => boolean

interface BulkState {
  buffer: Buffer
  /** Read buffers whose bytes have been written out, ready for the next reads. */
  free: Buffer[]
  sink: ReadSink | null
  socket: Socket | null
}

/** Kept read buffers come back through recycle(); a few are enough to keep a transfer going. */
const MAX_FREE = 4

const states = new WeakMap<Socket, BulkState>()

/** The `onread` option for net.connect, and a function to bind it to the created socket. */
export function bulkReadOptions(): { onread: { buffer: () => Buffer; callback: (n: number, buffer: Buffer) => boolean }; bind: (socket: Socket) => void } {
  const state: BulkState = { buffer: Buffer.allocUnsafe(READ_SIZE), free: [], sink: null, socket: null }
  return {
    onread: {
      buffer: () => state.buffer,
      callback: (n: number, buffer: Buffer): boolean => {
        const chunk = buffer.subarray(0, n)
        if (state.sink !== null) {
          // A fresh buffer is touched page by page (a megabyte is 256 page faults); a
          // recycled one is not.
          if (state.sink(chunk)) state.buffer = state.free.pop() ?? Buffer.allocUnsafe(READ_SIZE)
          return true
        }
        // Returning false stops reading until the socket is resumed, as push() asks.
        return state.socket?.push(Buffer.from(chunk)) ?? true
      },
    },
    bind: (socket) => {
      state.socket = socket
      states.set(socket, state)
    },
  }
}

/**
 * Sends the socket's bytes to `sink` until the returned function is called. On a socket
 * without large reads this is a 'data' listener (the sink's answer does not matter there).
 */
export function readInto(socket: Socket, sink: ReadSink): () => void {
  const state = states.get(socket)
  if (state === undefined) {
    const listener = (chunk: Buffer): void => void sink(chunk)
    socket.on('data', listener)
    return () => socket.off('data', listener)
  }
  state.sink = sink
  return () => {
    if (state.sink === sink) state.sink = null
  }
}

/**
 * Gives a read buffer that a sink kept back to `socket` for later reads, once every write
 * that referenced `chunk` (a view of it) has completed. Anything else is ignored.
 */
export function recycle(socket: Socket, chunk: Buffer): void {
  const state = states.get(socket)
  if (state === undefined || chunk.buffer.byteLength !== READ_SIZE || state.free.length >= MAX_FREE) return
  const buffer = Buffer.from(chunk.buffer, 0, READ_SIZE)
  if (state.buffer.buffer === buffer.buffer || state.free.some((b) => b.buffer === buffer.buffer)) return
  state.free.push(buffer)
}
