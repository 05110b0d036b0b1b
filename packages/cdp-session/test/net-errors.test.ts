import { describe, it, expect } from 'vitest'
import { NET_ERRORS, NET_ERROR_ALIASES, netErrorCode, netErrorName } from '../src/common/net-errors.js'

describe('NET_ERRORS', () => {
  it.each([
    ['ERR_ABORTED', -3],
    ['ERR_BLOCKED_BY_CLIENT', -20],
    ['ERR_CONNECTION_REFUSED', -102],
    ['ERR_NAME_NOT_RESOLVED', -105],
    ['ERR_INTERNET_DISCONNECTED', -106],
    ['ERR_CERT_AUTHORITY_INVALID', -202],
    ['ERR_TOO_MANY_REDIRECTS', -310],
    ['ERR_INVALID_RESPONSE', -320],
    ['ERR_EMPTY_RESPONSE', -324],
  ] as const)('%s is %i', (name, code) => {
    expect(NET_ERRORS.get(name)).toBe(code)
    expect(netErrorCode(name)).toBe(code)
    expect(netErrorCode(`net::${name}`)).toBe(code)
    expect(netErrorName(code)).toBe(name)
  })

  it('covers the whole list', () => {
    expect(NET_ERRORS.size).toBe(269)
  })

  it('uses ERR_-prefixed upper-case names and negative integers', () => {
    for (const [name, code] of NET_ERRORS) {
      expect(name).toMatch(/^ERR_[A-Z0-9_]+$/)
      expect(Number.isInteger(code)).toBe(true)
      expect(code).toBeLessThan(0)
    }
  })

  it('has one name per number', () => {
    const codes = [...NET_ERRORS.values()]
    expect(new Set(codes).size).toBe(codes.length)
  })

  it('round-trips every entry', () => {
    for (const [name, code] of NET_ERRORS) {
      expect(netErrorName(code)).toBe(name)
      expect(netErrorCode(name)).toBe(code)
      expect(netErrorCode(`net::${name}`)).toBe(code)
    }
  })
})

describe('netErrorCode', () => {
  it('parses the text Page.navigate reports', () => {
    expect(netErrorCode('net::ERR_ABORTED')).toBe(-3)
    expect(netErrorCode('  net::ERR_CONNECTION_REFUSED\n')).toBe(-102)
  })

  it('accepts earlier names of renamed entries', () => {
    for (const [alias, code] of NET_ERROR_ALIASES) {
      expect(NET_ERRORS.has(alias)).toBe(false)
      expect(netErrorCode(alias)).toBe(code)
      expect(netErrorCode(`net::${alias}`)).toBe(code)
      expect(netErrorName(code)).toBeDefined()
    }
    expect(netErrorCode('net::ERR_BLOCKED_BY_PRIVATE_NETWORK_ACCESS_CHECKS')).toBe(-385)
    expect(netErrorName(-385)).toBe('ERR_BLOCKED_BY_LOCAL_NETWORK_ACCESS_CHECKS')
  })

  it('answers undefined for unknown or malformed text', () => {
    expect(netErrorCode('net::ERR_NOT_A_REAL_ERROR')).toBeUndefined()
    expect(netErrorCode('ERR_NOT_A_REAL_ERROR')).toBeUndefined()
    expect(netErrorCode('CONNECTION_REFUSED')).toBeUndefined()
    expect(netErrorCode('net::CONNECTION_REFUSED')).toBeUndefined()
    expect(netErrorCode('net::err_connection_refused')).toBeUndefined()
    expect(netErrorCode('net::net::ERR_ABORTED')).toBeUndefined()
    expect(netErrorCode('ERR_')).toBeUndefined()
    expect(netErrorCode('')).toBeUndefined()
    expect(netErrorCode('ERR_toString')).toBeUndefined()
  })
})

describe('netErrorName', () => {
  it('answers undefined for unknown numbers', () => {
    expect(netErrorName(0)).toBeUndefined()
    expect(netErrorName(1)).toBeUndefined()
    expect(netErrorName(-24)).toBeUndefined()
    expect(netErrorName(-999)).toBeUndefined()
    expect(netErrorName(-102.5)).toBeUndefined()
    expect(netErrorName(Number.NaN)).toBeUndefined()
  })
})
