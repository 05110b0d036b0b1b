// Reference relay in Node, the counterpart of relay.c: the cheapest proxy hop Node can make.
//
// Listens on 127.0.0.1 (an OS-chosen port, printed on stdout as one line) and joins every
// accepted connection to a new connection to 127.0.0.1:PORT, moving bytes both ways with
// stream.pipe until either side ends. Like relay.c it understands no HTTP (the origin server
// answers the absolute-form requests itself), so it shows what Node's event loop, sockets and
// streams cost per hop before any proxy logic: a gateway written in Node cannot cost less.
//
//   node relay.mjs PORT
//
// Started by the bench in its own process; no part of cdp-session.
import { connect, createServer } from 'node:net'

const target = Number(process.argv[2])
if (!Number.isInteger(target) || target <= 0 || target > 65535) {
  process.stderr.write(`relay.mjs: expected a target port, got ${String(process.argv[2])}\n`)
  process.exit(2)
}

const server = createServer({ noDelay: true }, (client) => {
  const upstream = connect({ host: '127.0.0.1', port: target, noDelay: true })
  const end = () => {
    client.destroy()
    upstream.destroy()
  }
  client.on('error', end)
  upstream.on('error', end)
  client.on('close', end)
  upstream.on('close', end)
  client.pipe(upstream)
  upstream.pipe(client)
})
server.listen(0, '127.0.0.1', () => {
  const address = server.address()
  process.stdout.write(`${typeof address === 'object' && address !== null ? address.port : 0}\n`)
})
