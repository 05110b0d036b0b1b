import { describe, expect, it } from 'vitest'
import { acceptLanguageHeader, replaceHeaders } from '../src/common/headers.js'

describe('acceptLanguageHeader', () => {
  it('formats a list the way Chromium does (measured: en-US,fr,de → en-US,fr;q=0.9,de;q=0.8)', () => {
    expect(acceptLanguageHeader('en-US,fr,de')).toBe('en-US,fr;q=0.9,de;q=0.8')
    expect(acceptLanguageHeader(' en-US , fr ')).toBe('en-US,fr;q=0.9')
    expect(acceptLanguageHeader('de')).toBe('de')
  })
  it('never goes below q=0.1', () => {
    const langs = Array.from({ length: 12 }, (_, i) => `l${String.fromCharCode(97 + i)}`)
    expect(acceptLanguageHeader(langs.join(',')).split(',').slice(-3)).toEqual(['lj;q=0.1', 'lk;q=0.1', 'll;q=0.1'])
  })
  it('keeps explicit q-values', () => {
    expect(acceptLanguageHeader('en;q=0.5,fr')).toBe('en;q=0.5,fr')
  })
})

describe('replaceHeaders', () => {
  it('replaces case-insensitively and keeps the rest', () => {
    expect(replaceHeaders({ 'user-agent': 'old', Accept: '*/*' }, { 'User-Agent': 'new' })).toEqual([
      { name: 'Accept', value: '*/*' },
      { name: 'User-Agent', value: 'new' },
    ])
  })
})
