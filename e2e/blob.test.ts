// ses.getBlobData against real Chromium: the bytes of a blob made by a page of the session, by
// blob: URL or by the blob's UUID in Chromium's registry; unknown, revoked and foreign blobs are
// ValidationErrors (never a hang), and another session cannot read this session's blobs.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { ValidationError, type Session, type WebContents } from 'cdp-session'
import { describe, expect, test } from './fixtures/test.js'
import { liveTargetsOf } from './fixtures/internals.js'

/** Every byte value, then a pseudo-random tail: `size` bytes in all (same formula in the page). */
function expectedBytes(size: number): Buffer {
  const bytes = Buffer.alloc(size)
  for (let i = 0; i < size; i++) bytes[i] = i < 256 ? i : (i * 7919 + 13) % 251
  return bytes
}
const MAKE_BYTES = `(size) => { const b = new Uint8Array(size); for (let i = 0; i < size; i++) b[i] = i < 256 ? i : (i * 7919 + 13) % 251; return b }`

async function pageWithBlob(session: Session, url: string, size: number): Promise<{ wc: WebContents; blobUrl: string }> {
  const wc = await session.createWebContents()
  await wc.loadURL(url)
  const blobUrl = (await wc.executeJavaScript(`window.blob = new Blob([(${MAKE_BYTES})(${size})], { type: 'application/octet-stream' }); URL.createObjectURL(window.blob)`)) as string
  return { wc, blobUrl }
}

/** The UUID Chromium's blob registry gives `window.blob` of the page (what IO.resolveBlob reports). */
async function registryUuid(session: Session, wc: WebContents): Promise<string> {
  const target = (await liveTargetsOf(session)).find((t) => t.targetId === wc.targetId)
  if (!target) throw new Error('no target for the page')
  const { result } = await target.client.send('Runtime.evaluate', { expression: 'window.blob' })
  const { uuid } = await target.client.send('IO.resolveBlob', { objectId: result.objectId! })
  return uuid
}

describe('ses.getBlobData', () => {
  test('a blob: URL of a page gives the blob\'s exact bytes (several IO.read chunks)', async ({ session, server }) => {
    const size = 3 * 1024 * 1024 + 17
    const { blobUrl } = await pageWithBlob(session, server.url('/'), size)
    const data = await session.getBlobData(blobUrl)
    expect(Buffer.isBuffer(data)).toBe(true)
    expect(data.length).toBe(size)
    expect(data.equals(expectedBytes(size))).toBe(true)
  })

  test('the blob\'s UUID in Chromium\'s registry gives the same bytes, from any page of the session', async ({ session, server }) => {
    const { wc } = await pageWithBlob(session, server.url('/'), 1000)
    const uuid = await registryUuid(session, wc)
    expect((await session.getBlobData(uuid)).equals(expectedBytes(1000))).toBe(true)
    expect((await session.getBlobData(uuid.toUpperCase())).equals(expectedBytes(1000))).toBe(true)
  })

  test('a blob: URL made by a cross-origin, same-site iframe (no target of its own) is fetched in that frame', async ({ session, server }) => {
    // Another port of 127.0.0.1 is another origin but the same site: the iframe shares the page's
    // process and target, and only a frame of the iframe's origin can fetch the URL.
    const framePage = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' })
      res.end('<script>parent.postMessage(URL.createObjectURL(new Blob(["from the frame"])), "*")</script>')
    })
    await new Promise<void>((resolve) => framePage.listen(0, '127.0.0.1', resolve))
    try {
      const frameOrigin = `http://127.0.0.1:${(framePage.address() as AddressInfo).port}`
      const wc = await session.createWebContents()
      await wc.loadURL(server.url('/'))
      const blobUrl = await wc.executeJavaScript(`new Promise((resolve) => {
        addEventListener('message', (event) => resolve(event.data), { once: true })
        const f = document.createElement('iframe'); f.src = '${frameOrigin}/'
        document.body.append(f)
      })`)
      expect(String(blobUrl).startsWith(`blob:${frameOrigin}/`)).toBe(true)
      expect(await liveTargetsOf(session).then((targets) => targets.map((t) => t.kind))).toEqual(['page'])
      expect((await session.getBlobData(blobUrl as string)).toString()).toBe('from the frame')
    } finally {
      framePage.closeAllConnections()
      await new Promise((resolve) => framePage.close(resolve))
    }
  })

  test('unknown, revoked and foreign blobs are ValidationErrors naming the identifier', async ({ browser, session, server }) => {
    const { wc, blobUrl } = await pageWithBlob(session, server.url('/'), 10)
    await expect(session.getBlobData('00000000-0000-4000-8000-000000000000')).rejects.toThrow(/session.getBlobData: argument 'identifier' is "00000000-0000-4000-8000-000000000000"; expected the UUID of a live blob of this session/)
    await expect(session.getBlobData(`blob:${server.crossOrigin}/00000000-0000-4000-8000-000000000000`)).rejects.toThrow(/no live frame of this session has the origin/)

    const other = browser.session.fromPartition(`blob-other-${process.pid}`)
    try {
      // The other session has a page of the same origin; it still cannot reach this session's blob.
      const otherPage = await other.createWebContents()
      await otherPage.loadURL(server.url('/'))
      await expect(other.getBlobData(blobUrl)).rejects.toThrow(ValidationError)
      await expect(other.getBlobData(await registryUuid(session, wc))).rejects.toThrow(ValidationError)
    } finally {
      await other.close()
    }

    await wc.executeJavaScript(`URL.revokeObjectURL(${JSON.stringify(blobUrl)})`)
    await expect(session.getBlobData(blobUrl)).rejects.toThrow(/in this session can fetch it \(revoked, or made by another session\)/)
  })

  test('bad identifiers are ValidationErrors', async ({ session }) => {
    for (const bad of ['not-a-uuid', '', 42, undefined, 'https://example.com/x']) {
      await expect(session.getBlobData(bad as string)).rejects.toThrow(ValidationError)
      await expect(session.getBlobData(bad as string)).rejects.toThrow(/argument 'identifier'/)
    }
  })
})
