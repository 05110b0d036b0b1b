import { describe, expect, it } from 'vitest'
import { matchPatternProblem, parseMatchPattern } from '../src/common/match-pattern.js'
import { fetchPatternMatches } from '../src/cdp/request-interceptor.js'
import { fetchPatterns } from '../src/electron/web-request.js'
import type { WebRequestResourceType } from '../src/electron/web-request-types.js'

const matches = (pattern: string, url: string): boolean => parseMatchPattern(pattern).matches(url)

describe('match patterns (Chrome extension grammar)', () => {
  it('<all_urls> matches web and file URLs, not data: or blob:', () => {
    expect(matches('<all_urls>', 'https://a.com/x')).toBe(true)
    expect(matches('<all_urls>', 'ws://a.com/x')).toBe(true)
    expect(matches('<all_urls>', 'file:///tmp/a')).toBe(true)
    expect(matches('<all_urls>', 'data:text/plain,x')).toBe(false)
  })
  it('"*" scheme is http, https, ws and wss only', () => {
    expect(matches('*://a.com/*', 'http://a.com/')).toBe(true)
    expect(matches('*://a.com/*', 'wss://a.com/s')).toBe(true)
    expect(matches('*://a.com/*', 'ftp://a.com/')).toBe(false)
    expect(matches('https://a.com/*', 'http://a.com/')).toBe(false)
  })
  it('"*." hosts match the domain and its subdomains, not look-alikes', () => {
    expect(matches('*://*.x.com/*', 'http://x.com/')).toBe(true)
    expect(matches('*://*.x.com/*', 'http://a.b.x.com/p')).toBe(true)
    expect(matches('*://*.x.com/*', 'http://evilx.com/')).toBe(false)
    expect(matches('*://*.x.com/*', 'http://evil.com/?x.com')).toBe(false)
    expect(matches('*://*/*', 'http://anything.test:81/')).toBe(true)
  })
  it('ports: none means any, a number means that port (default ports count), * any', () => {
    expect(matches('http://a.com/*', 'http://a.com:8080/')).toBe(true)
    expect(matches('http://a.com:8080/*', 'http://a.com:8080/')).toBe(true)
    expect(matches('http://a.com:8080/*', 'http://a.com:8081/')).toBe(false)
    expect(matches('http://a.com:80/*', 'http://a.com/')).toBe(true)
    expect(matches('http://a.com:*/*', 'http://a.com:1/')).toBe(true)
  })
  it('paths match path and query with "*" anywhere', () => {
    expect(matches('*://a.com/api/*', 'http://a.com/api/v1?x=1')).toBe(true)
    expect(matches('*://a.com/api/*', 'http://a.com/apx/')).toBe(false)
    expect(matches('*://a.com/*.png', 'http://a.com/i/b.png')).toBe(true)
    expect(matches('*://a.com/*.png', 'http://a.com/i/b.png?v=2')).toBe(false)
    expect(matches('*://a.com/x', 'http://a.com/x?q')).toBe(false)
  })
  it('file: patterns have no host', () => {
    expect(matches('file:///tmp/*', 'file:///tmp/a.txt')).toBe(true)
    expect(matchPatternProblem('file://host/tmp/*')).toMatch(/no host/)
  })
  it('rejects malformed patterns with a reason', () => {
    expect(matchPatternProblem('a.com/*')).toMatch(/scheme/)
    expect(matchPatternProblem('http://a.com')).toMatch(/path/)
    expect(matchPatternProblem('http://a*.com/')).toMatch(/host/)
    expect(matchPatternProblem('http:///x')).toMatch(/host/)
    expect(matchPatternProblem('http://a.com:99999/')).toMatch(/port/)
    expect(matchPatternProblem('http://a.com:x/')).toMatch(/port/)
    expect(matchPatternProblem('<all_urls>')).toBeUndefined()
  })
  it('the Fetch glob of a pattern matches (at least) every URL the pattern matches', () => {
    const cases: Array<[string, string]> = [
      ['*://*.x.com/*', 'http://a.x.com:81/p?q'],
      ['*://*.x.com/*', 'https://x.com/'],
      ['http://a.com:8080/api/*', 'http://a.com:8080/api/1'],
      ['<all_urls>', 'wss://a/b'],
      ['file:///tmp/*', 'file:///tmp/z'],
    ]
    for (const [pattern, url] of cases) {
      const parsed = parseMatchPattern(pattern)
      expect(parsed.matches(url)).toBe(true)
      expect(fetchPatternMatches({ urlPattern: parsed.fetchGlob }, url, 'Other', 'Request')).toBe(true)
    }
  })
})

describe('Fetch request patterns (as Chromium matches them)', () => {
  it('globs: * any run, ? one character, \\ escapes', () => {
    expect(fetchPatternMatches({ urlPattern: '*' }, 'http://a/', 'Document', 'Request')).toBe(true)
    expect(fetchPatternMatches({ urlPattern: 'http://?/' }, 'http://a/', 'Document', 'Request')).toBe(true)
    expect(fetchPatternMatches({ urlPattern: 'http://a/\\*' }, 'http://a/*', 'Document', 'Request')).toBe(true)
    expect(fetchPatternMatches({ urlPattern: 'http://a/\\*' }, 'http://a/b', 'Document', 'Request')).toBe(false)
    expect(fetchPatternMatches({ urlPattern: '*b*d' }, 'abcd', 'Document', 'Request')).toBe(true)
    expect(fetchPatternMatches({ urlPattern: 'x-cdp-session-idle:*' }, 'http://a/', 'Document', 'Request')).toBe(false)
  })
  it('resource type and stage (absent stage means Request)', () => {
    expect(fetchPatternMatches({ urlPattern: '*', resourceType: 'Image' }, 'http://a/', 'Script', 'Request')).toBe(false)
    expect(fetchPatternMatches({ urlPattern: '*' }, 'http://a/', 'Script', 'Response')).toBe(false)
    expect(fetchPatternMatches({ urlPattern: '*', requestStage: 'Response' }, 'http://a/', 'Script', 'Response')).toBe(true)
  })
})

describe('webRequest filters → Fetch patterns (what Chromium pauses)', () => {
  const compile = (urls: string[], types?: WebRequestResourceType[]) => ({ urls: urls.map((u) => parseMatchPattern(u)), excludeUrls: [], types: types ? new Set(types) : undefined })
  it('no filter: every URL at the asked stage', () => {
    expect(fetchPatterns(compile([]), 'Request')).toEqual([{ urlPattern: '*', requestStage: 'Request' }])
    expect(fetchPatterns(undefined, 'Response')).toEqual([])
  })
  it('narrowed to the URL patterns and resource types that are set', () => {
    expect(fetchPatterns(compile(['*://*.x.com/*'], ['image', 'xhr']), 'Response')).toEqual([
      { urlPattern: '*://*x.com*', resourceType: 'Image', requestStage: 'Response' },
      { urlPattern: '*://*x.com*', resourceType: 'XHR', requestStage: 'Response' },
      { urlPattern: '*://*x.com*', resourceType: 'Fetch', requestStage: 'Response' },
      { urlPattern: '*://*x.com*', resourceType: 'EventSource', requestStage: 'Response' },
    ])
  })
  it("'other' or 'object' in types cannot be narrowed by resource type", () => {
    expect(fetchPatterns(compile(['http://a.com/*'], ['image', 'other']), 'Request')).toEqual([{ urlPattern: 'http://a.com*', requestStage: 'Request' }])
  })
})
