import { PassThrough, Readable } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { ResponseServer } from '../src/net/response-server.js'

let server: ResponseServer | undefined
afterEach(async () => {
  await server?.close()
  server = undefined
})

describe('ResponseServer', () => {
  it('serves an offered stream once, on 127.0.0.1, with its status and headers (length dropped: chunked)', async () => {
    server = new ResponseServer()
    const url = await server.offer({
      statusCode: 203,
      headers: [{ name: 'X-A', value: '1' }, { name: 'X-A', value: '2' }, { name: 'Content-Length', value: '999' }],
      body: Readable.from(['a', 'b']),
    })
    expect(new URL(url).hostname).toBe('127.0.0.1')
    const response = await fetch(url)
    expect(response.status).toBe(203)
    expect(response.headers.get('x-a')).toBe('1, 2')
    expect(response.headers.get('content-length')).toBeNull()
    expect(await response.text()).toBe('ab')
    expect((await fetch(url)).status).toBe(404)
  })

  it('streams as the source writes (the first chunk arrives before the end)', async () => {
    server = new ResponseServer()
    const body = new PassThrough()
    const url = await server.offer({ statusCode: 200, headers: [], body })
    body.write('first')
    const response = await fetch(url)
    const reader = response.body!.getReader()
    expect(new TextDecoder().decode((await reader.read()).value)).toBe('first')
    body.end('last')
    let rest = ''
    for (;;) {
      const { value, done } = await reader.read()
      if (done) break
      rest += new TextDecoder().decode(value)
    }
    expect(rest).toBe('last')
  })

  it('an unknown path is 404; close drops unclaimed streams and refuses new offers', async () => {
    server = new ResponseServer()
    const body = new PassThrough()
    const url = await server.offer({ statusCode: 200, headers: [], body })
    expect((await fetch(new URL('/not-a-token', url))).status).toBe(404)
    await server.close()
    expect(body.destroyed).toBe(true)
    await expect(server.offer({ statusCode: 200, headers: [], body: Readable.from(['x']) })).rejects.toThrow(/closed/)
  })
})
