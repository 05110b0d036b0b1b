import type { Protocol } from 'devtools-protocol'
import { z } from 'zod'
import { CdpSessionError, ValidationError } from '../common/errors.js'
import { debug, detach } from '../common/util.js'
import { validateArg } from '../common/validate.js'
import type { CdpClient } from '../cdp/client.js'
import { hasFrames, type TargetSession } from '../cdp/target-session.js'
import type { SessionContext } from './context.js'

const API = 'session.getBlobData'
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const identifierSchema = z.string().refine((value) => UUID.test(value) || (value.startsWith('blob:') && URL.canParse(value)), 'neither a UUID nor a blob: URL')
const EXPECTED = "a blob UUID ('8d2db57a-7d14-4f4c-b319-694926c91c5e') or a blob: URL made by a live page of this session"
/** A frame that does not answer within this is skipped (a page held by a dialog never does). */
const FRAME_TIMEOUT_MS = 10_000
const CHUNK = 1 << 20

/**
 * The bytes of a blob of this session.
 *
 * Chromium keeps blobs in a per-context registry keyed by the *Blob's* UUID;
 * `IO.read({handle: 'blob:<uuid>'})` on any page session of the context
 * reads one (another context's pages and the browser session cannot). A blob
 * URL names a different UUID, registered only with the origin that created
 * it: its bytes are reachable by fetching the URL from a frame of that origin,
 * which yields a Blob whose registry UUID `IO.resolveBlob` tells.
 */
export async function getBlobData(session: SessionContext, identifier: string): Promise<Buffer> {
  const id = validateArg(API, 'identifier', identifierSchema, identifier, EXPECTED)
  const binding = await session.bindingFor(API)
  const frames = binding.manager.targetsOf(session).filter((t) => hasFrames(t.kind) && !t.closed)
  if (id.startsWith('blob:')) return readBlobUrl(frames, id)
  const uuid = id.toLowerCase()
  for (const target of frames) {
    const bytes = await bounded(readBlob(target.client, uuid), `reading blob ${uuid}`).catch((error: unknown) => {
      if (!target.closed) debug('%s on %s: %s', API, target.targetId, String(error))
      return undefined
    })
    if (bytes) return bytes
    // A read that failed on a live page fails on every page of the context (one registry).
    if (!target.closed) break
  }
  if (frames.length === 0 && binding.contextId) {
    const bytes = await binding.manager.withInternalPage(binding.contextId, (client) => readBlob(client, uuid)).catch(() => undefined)
    if (bytes) return bytes
  }
  throw new ValidationError(API, 'identifier', identifier, `the UUID of a live blob of this session (${frames.length === 0 ? 'it has no page, and ' : ''}Chromium's blob registry has no such blob in this session)`)
}

async function readBlobUrl(frames: TargetSession[], url: string): Promise<Buffer> {
  const origin = blobOrigin(url)
  let sameOrigin = 0
  for (const target of frames) {
    for (const frameId of await bounded(framesOf(target.client, origin), 'listing frames').catch(() => [])) {
      sameOrigin++
      const bytes = await bounded(fetchInFrame(target.client, frameId, url), `fetching ${url}`).catch((error: unknown) => {
        debug('%s: fetching %s in frame %s: %s', API, url, frameId, String(error))
        return undefined
      })
      if (bytes) return bytes
    }
  }
  const why = sameOrigin === 0 ? `no live frame of this session has the origin ${origin}, and a blob URL lives only as long as the document that made it` : `no live frame of ${origin} in this session can fetch it (revoked, or made by another session)`
  throw new ValidationError(API, 'identifier', url, `${EXPECTED}; ${why}`)
}

function blobOrigin(url: string): string {
  try {
    return new URL(url.slice('blob:'.length)).origin
  } catch {
    return 'null'
  }
}

/** Frame ids of one target (its main frame and same-process child frames) whose origin is `origin`. */
async function framesOf(client: CdpClient, origin: string): Promise<string[]> {
  const { frameTree } = await client.send('Page.getFrameTree')
  const result: string[] = []
  const visit = (node: Protocol.Page.FrameTree): void => {
    if (node.frame.securityOrigin === origin) result.push(node.frame.id)
    for (const child of node.childFrames ?? []) visit(child)
  }
  visit(frameTree)
  return result
}

/**
 * Fetches the blob URL in an isolated world of the frame (same origin as the
 * frame, untouched by the page's own globals) and reads the resulting Blob.
 */
async function fetchInFrame(client: CdpClient, frameId: string, url: string): Promise<Buffer | undefined> {
  const { executionContextId } = await client.send('Page.createIsolatedWorld', { frameId, worldName: 'cdp-session:getBlobData' })
  const { result, exceptionDetails } = await client.send('Runtime.evaluate', {
    expression: `fetch(${JSON.stringify(url)}).then((response) => response.blob())`,
    contextId: executionContextId,
    awaitPromise: true,
  })
  if (exceptionDetails || !result.objectId) return undefined
  try {
    const { uuid } = await client.send('IO.resolveBlob', { objectId: result.objectId })
    return await readBlob(client, uuid)
  } finally {
    detach(client.send('Runtime.releaseObject', { objectId: result.objectId }), 'release blob object')
  }
}

async function readBlob(client: CdpClient, uuid: string): Promise<Buffer> {
  const handle = `blob:${uuid}`
  const parts: Buffer[] = []
  try {
    for (;;) {
      const { data, base64Encoded, eof } = await client.send('IO.read', { handle, size: CHUNK })
      parts.push(Buffer.from(data, base64Encoded ? 'base64' : 'utf8'))
      if (eof) break
    }
  } finally {
    detach(client.send('IO.close', { handle }), 'IO.close blob')
  }
  return Buffer.concat(parts)
}

function bounded<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CdpSessionError('ERR_PROTOCOL', `${API}: ${what} took over ${FRAME_TIMEOUT_MS} ms`)), FRAME_TIMEOUT_MS)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}
