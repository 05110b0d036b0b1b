import { PassThrough, Readable } from 'node:stream'
import { describe, expect, it } from 'vitest'
import { ValidationError } from '../src/common/errors.js'
import { contentType, mimeTypeForPath } from '../src/common/mime.js'
import {
  errorReasonFor,
  planResponse,
  protocolRequest,
  responseHeaders,
  schemeOf,
  schemePattern,
  validateScheme,
  type ResponsePlan,
} from '../src/common/protocol-response.js'

const API = 'protocol.registerStringProtocol callback'

function body(plan: ResponsePlan): { statusCode: number; headers: Record<string, string>; text: string } {
  if (plan.type !== 'body') throw new Error(`expected a body plan, got ${plan.type}`)
  return { statusCode: plan.statusCode, headers: Object.fromEntries(plan.headers.map((h) => [h.name, h.value])), text: plan.body.toString('latin1') }
}

describe('validateScheme', () => {
  it('accepts lower-case scheme names', () => {
    expect(validateScheme('api', 'app')).toBe('app')
    expect(validateScheme('api', 'my-app+v1.2')).toBe('my-app+v1.2')
  })
  it.each([['App'], [''], ['app:'], ['1app'], ['a b'], [42], [undefined]])('rejects %j naming the argument', (bad) => {
    expect(() => validateScheme('protocol.registerStringProtocol', bad)).toThrow(ValidationError)
    expect(() => validateScheme('protocol.registerStringProtocol', bad)).toThrow(/protocol.registerStringProtocol: argument 'scheme' is/)
  })
})

describe('schemeOf / schemePattern', () => {
  it('takes the scheme of a URL in lower case', () => {
    expect(schemeOf('app://host/x')).toBe('app')
    expect(schemeOf('HTTPS://x')).toBe('https')
    expect(schemeOf('no scheme')).toBe('')
  })
  it('pauses one scheme without catching a longer one (http: is not https:)', () => {
    expect(schemePattern('http')).toEqual({ urlPattern: 'http:*', requestStage: 'Request' })
  })
})

describe('protocolRequest', () => {
  it('gives Electron\'s request object with the Referer as referrer and the body as rawData', () => {
    const request = protocolRequest({
      url: 'https://a.test/x',
      urlFragment: '#frag',
      method: 'POST',
      headers: { Referer: 'https://b.test/', 'Content-Type': 'text/plain' },
      postDataEntries: [{ bytes: Buffer.from('abc').toString('base64') }, { bytes: Buffer.from('def').toString('base64') }],
      hasPostData: true,
      initialPriority: 'High',
      referrerPolicy: 'strict-origin-when-cross-origin',
    })
    expect(request.url).toBe('https://a.test/x#frag')
    expect(request.referrer).toBe('https://b.test/')
    expect(request.uploadData?.map((u) => [u.type, u.bytes.toString()])).toEqual([['rawData', 'abc'], ['rawData', 'def']])
  })
  it('has no uploadData for a GET and an empty referrer without Referer', () => {
    const request = protocolRequest({ url: 'app://x/', method: 'GET', headers: {}, initialPriority: 'Low', referrerPolicy: 'no-referrer' })
    expect(request).toEqual({ url: 'app://x/', method: 'GET', referrer: '', headers: {} })
  })
})

describe('planResponse', () => {
  it('string: a bare string is text/html utf-8 with status 200', () => {
    expect(body(planResponse(API, 'string', 'héllo'))).toEqual({ statusCode: 200, headers: { 'Content-Type': 'text/html; charset=utf-8' }, text: Buffer.from('héllo').toString('latin1') })
  })
  it('string: mimeType, charset, statusCode and headers (several values)', () => {
    const plan = planResponse(API, 'string', { data: 'x', mimeType: 'text/plain', charset: 'iso-8859-1', statusCode: 404, headers: { 'X-A': ['1', '2'] } })
    if (plan.type !== 'body') throw new Error(plan.type)
    expect(plan.statusCode).toBe(404)
    expect(plan.headers).toEqual([{ name: 'X-A', value: '1' }, { name: 'X-A', value: '2' }, { name: 'Content-Type', value: 'text/plain; charset=iso-8859-1' }])
  })
  it('a Content-Type header wins over mimeType', () => {
    expect(body(planResponse(API, 'buffer', { data: Buffer.from('x'), mimeType: 'text/plain', headers: { 'content-type': 'image/png' } })).headers).toEqual({ 'content-type': 'image/png' })
  })
  it('buffer: binary types get no charset unless one is given', () => {
    expect(body(planResponse(API, 'buffer', { data: Buffer.from([1]), mimeType: 'image/png' })).headers['Content-Type']).toBe('image/png')
    expect(body(planResponse(API, 'buffer', { data: Buffer.from([1]), mimeType: 'application/x-a', charset: 'utf-16' })).headers['Content-Type']).toBe('application/x-a; charset=utf-16')
    expect(body(planResponse(API, 'buffer', Buffer.from([0xff]))).text).toBe('\xff')
  })
  it('file: a path or { path }, typed by extension unless mimeType is given', () => {
    expect(planResponse(API, 'file', '/a/b.css')).toMatchObject({ type: 'file', path: '/a/b.css', statusCode: 200, headers: [{ name: 'Content-Type', value: 'text/css; charset=utf-8' }] })
    expect(planResponse(API, 'file', { path: '/a/b.bin', mimeType: 'font/woff2', statusCode: 203 })).toMatchObject({ statusCode: 203, headers: [{ name: 'Content-Type', value: 'font/woff2' }] })
  })
  it('http: url, method (upper-cased), uploadData, session', () => {
    expect(planResponse(API, 'http', { url: 'http://x.test/', method: 'post', uploadData: { contentType: 'text/plain', data: 'b' }, session: null })).toEqual({
      type: 'http', url: 'http://x.test/', method: 'POST', upload: { contentType: 'text/plain', data: Buffer.from('b') }, session: null,
    })
    expect(planResponse(API, 'http', { url: 'http://x.test/' })).toMatchObject({ method: undefined, upload: undefined, session: undefined })
  })
  it('stream: a Readable, or { statusCode, headers, data }; data null is an empty body', () => {
    const stream = new PassThrough()
    expect(planResponse(API, 'stream', stream)).toMatchObject({ type: 'stream', statusCode: 200, stream })
    expect(planResponse(API, 'stream', { statusCode: 206, headers: { 'content-type': 'text/plain' }, data: stream })).toMatchObject({ type: 'stream', statusCode: 206, headers: [{ name: 'content-type', value: 'text/plain' }] })
    expect(planResponse(API, 'stream', { statusCode: 204, data: null })).toMatchObject({ type: 'body', statusCode: 204 })
    const web = planResponse(API, 'stream', { data: new ReadableStream() })
    expect(web.type === 'stream' && web.stream instanceof Readable).toBe(true)
  })
  it('{ error } fails with the net error; nothing at all fails with ERR_FAILED', () => {
    expect(planResponse(API, 'string', { error: -105 })).toEqual({ type: 'fail', netError: -105, errorReason: 'NameNotResolved' })
    expect(planResponse(API, 'file', { error: -6 })).toEqual({ type: 'fail', netError: -6, errorReason: 'Failed' })
    expect(planResponse(API, 'string', undefined)).toEqual({ type: 'fail', netError: -2, errorReason: 'Failed' })
  })
  it.each([
    ['string', 42, "argument 'response' is number 42"],
    ['string', { data: 1 }, "argument 'response' is an object"],
    ['buffer', { statusCode: 99 }, "argument 'response.statusCode' is number 99"],
    ['file', '', "argument 'response' is \"\""],
    ['http', { url: 'not a url' }, "argument 'response.url' is \"not a url\""],
    ['stream', { data: 'not a stream' }, "argument 'response.data' is \"not a stream\""],
    ['string', { error: -99999 }, "argument 'response.error' is number -99999"],
    ['string', { error: 5 }, "argument 'response.error' is number 5"],
  ] as const)('%s: rejects %j with a ValidationError naming the response', (kind, response, message) => {
    expect(() => planResponse(API, kind, response)).toThrow(ValidationError)
    expect(() => planResponse(API, kind, response)).toThrow(message)
  })
})

describe('errorReasonFor', () => {
  it('maps the net errors Fetch.failRequest can carry and falls back to Failed', () => {
    expect(errorReasonFor(-3)).toBe('Aborted')
    expect(errorReasonFor(-20)).toBe('BlockedByClient')
    expect(errorReasonFor(-102)).toBe('ConnectionRefused')
    expect(errorReasonFor(-6)).toBe('Failed')
  })
})

describe('mime', () => {
  it('types files by extension, case-insensitively', () => {
    expect(mimeTypeForPath('/x/a.HTML')).toBe('text/html')
    expect(mimeTypeForPath('a.mjs')).toBe('text/javascript')
    expect(mimeTypeForPath('a.woff2')).toBe('font/woff2')
    expect(mimeTypeForPath('noext')).toBe('application/octet-stream')
  })
  it('adds a charset to textual types only, or when asked', () => {
    expect(contentType('application/json', 'utf-8', false)).toBe('application/json; charset=utf-8')
    expect(contentType('image/svg+xml', 'utf-8', false)).toBe('image/svg+xml; charset=utf-8')
    expect(contentType('image/png', 'utf-8', false)).toBe('image/png')
    expect(contentType('text/plain; charset=ascii', 'utf-8', true)).toBe('text/plain; charset=ascii')
  })
  it('responseHeaders keeps every value of a repeated header', () => {
    expect(responseHeaders({ headers: { 'Set-Cookie': ['a=1', 'b=2'] } }, 'text/plain')).toEqual([
      { name: 'Set-Cookie', value: 'a=1' },
      { name: 'Set-Cookie', value: 'b=2' },
      { name: 'Content-Type', value: 'text/plain; charset=utf-8' },
    ])
  })
})
