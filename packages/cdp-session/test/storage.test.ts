import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { NotSupportedError, ValidationError } from '../src/common/errors.js'
import { directorySize, ELECTRON_STORAGE_TYPES, httpCacheDir, parseOrigin, planClearData, planClearStorageData } from '../src/electron/storage.js'

function validationOf(run: () => unknown): ValidationError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError)
    return error as ValidationError
  }
  throw new Error('expected a ValidationError')
}

describe('parseOrigin', () => {
  it('accepts window.location.origin forms and normalises them', () => {
    expect(parseOrigin('api', 'o', 'http://a.test')).toBe('http://a.test')
    expect(parseOrigin('api', 'o', 'https://a.test:8443')).toBe('https://a.test:8443')
    expect(parseOrigin('api', 'o', 'HTTP://A.Test:80')).toBe('http://a.test')
    expect(parseOrigin('api', 'o', 'http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000')
    expect(parseOrigin('api', 'o', 'http://[::1]:8080')).toBe('http://[::1]:8080')
  })

  it.each(['*', '', ' ', 'nope', 'a.test', 'http://a.test/', 'http://a.test/path', 'http://a.test?x=1', 'http://a.test#h', 'http://u:p@a.test', 'file:///x', 'ftp://a.test', 'ws://a.test', 'http://', 'http://a.test:99999', 'http://a b.test', ' http://a.test', 'http://a.test\\x', 'javascript:1', 'null'])(
    'rejects %j naming the argument',
    (value) => {
      const error = validationOf(() => parseOrigin('session.clearStorageData', 'options.origin', value))
      expect(error.argument).toBe('options.origin')
      expect(error.message).toMatch(/^session\.clearStorageData: argument 'options\.origin'/)
    },
  )

  it.each([undefined, null, 42, ['http://a.test'], {}])('rejects non-strings: %j', (value) => {
    expect(validationOf(() => parseOrigin('api', 'origin', value)).argument).toBe('origin')
  })
})

describe('planClearStorageData', () => {
  it('no options: every storage type, every origin', () => {
    const plan = planClearStorageData(undefined)
    expect(plan.origins).toBeUndefined()
    expect(plan.cache).toBe(false)
    expect([...plan.storageTypes].sort()).toEqual(['cache_storage', 'cookies', 'file_systems', 'indexeddb', 'local_storage', 'service_workers', 'shader_cache'])
    expect(planClearStorageData({})).toEqual(plan)
  })

  it('maps each Electron storage name to its Chromium type', () => {
    const expected: Record<string, string[]> = {
      appcache: [],
      cookies: ['cookies'],
      filesystem: ['file_systems'],
      indexdb: ['indexeddb'],
      localstorage: ['local_storage'],
      shadercache: ['shader_cache'],
      websql: [],
      serviceworkers: ['service_workers'],
      cachestorage: ['cache_storage'],
    }
    expect(Object.keys(ELECTRON_STORAGE_TYPES).sort()).toEqual(Object.keys(expected).sort())
    for (const [name, types] of Object.entries(expected)) expect(planClearStorageData({ storages: [name] }).storageTypes).toEqual(types)
  })

  it('combines names without duplicates and keeps the origin normalised', () => {
    const plan = planClearStorageData({ origin: 'https://A.test:443', storages: ['localstorage', 'indexdb', 'localstorage', 'websql'], quotas: ['temporary', 'persistent', 'syncable'] })
    expect(plan).toEqual({ origins: ['https://a.test'], storageTypes: ['local_storage', 'indexeddb'], cache: false })
  })

  it('an empty storages list clears nothing', () => {
    expect(planClearStorageData({ storages: [] }).storageTypes).toEqual([])
  })

  it('rejects bad options, naming the argument', () => {
    expect(validationOf(() => planClearStorageData({ origin: '*' })).argument).toBe('options.origin')
    expect(validationOf(() => planClearStorageData({ origin: '' })).argument).toBe('options.origin')
    expect(validationOf(() => planClearStorageData({ storages: ['localStorage'] })).argument).toBe('options.storages.0')
    expect(validationOf(() => planClearStorageData({ storages: 'cookies' })).argument).toBe('options.storages')
    expect(validationOf(() => planClearStorageData({ quotas: ['forever'] })).argument).toBe('options.quotas.0')
    expect(validationOf(() => planClearStorageData({ origins: ['http://a.test'] })).argument).toBe('options.origins')
    expect(validationOf(() => planClearStorageData('http://a.test')).argument).toBe('options')
    expect(validationOf(() => planClearStorageData(null)).argument).toBe('options')
  })
})

describe('planClearData', () => {
  it('no options: every storage type and the cache, every origin', () => {
    const plan = planClearData(undefined)
    expect(plan.origins).toBeUndefined()
    expect(plan.cache).toBe(true)
    expect(plan.storageTypes).toContain('cookies')
    expect(plan.storageTypes).toContain('local_storage')
  })

  it('maps Electron data types', () => {
    expect(planClearData({ dataTypes: ['localStorage', 'indexedDB', 'fileSystems', 'serviceWorkers', 'cookies', 'webSQL'] })).toEqual({
      origins: undefined,
      storageTypes: ['local_storage', 'indexeddb', 'file_systems', 'service_workers', 'cookies'],
      cache: false,
    })
    expect(planClearData({ dataTypes: ['cache'] })).toEqual({ origins: undefined, storageTypes: [], cache: true })
  })

  it('origins are validated and normalised one by one', () => {
    expect(planClearData({ origins: ['http://a.test', 'HTTP://a.test:80', 'https://b.test'], dataTypes: ['cookies'] }).origins).toEqual(['http://a.test', 'https://b.test'])
    expect(validationOf(() => planClearData({ origins: ['http://a.test', '*'] })).argument).toBe('options.origins.1')
    expect(validationOf(() => planClearData({ origins: 'http://a.test' })).argument).toBe('options.origins')
  })

  it('origins and excludeOrigins are mutually exclusive', () => {
    expect(validationOf(() => planClearData({ origins: ['http://a.test'], excludeOrigins: ['http://b.test'] })).argument).toBe('options.excludeOrigins')
  })

  it('what CDP cannot do throws NotSupportedError instead of being skipped', () => {
    expect(() => planClearData({ dataTypes: ['downloads'] })).toThrow(NotSupportedError)
    expect(() => planClearData({ dataTypes: ['backgroundFetch'] })).toThrow(NotSupportedError)
    expect(() => planClearData({ excludeOrigins: ['http://a.test'] })).toThrow(NotSupportedError)
    expect(() => planClearData({ origins: ['http://a.test'] })).toThrow(/cache cannot be cleared per origin/)
    expect(planClearData({ excludeOrigins: [] }).origins).toBeUndefined()
  })

  it('rejects unknown data types and options', () => {
    expect(validationOf(() => planClearData({ dataTypes: ['localstorage'] })).argument).toBe('options.dataTypes.0')
    expect(validationOf(() => planClearData({ storages: ['cookies'] })).argument).toBe('options.storages')
  })
})

describe('cache size on disk', () => {
  it('httpCacheDir is the profile cache backend directory', () => {
    expect(httpCacheDir('/p')).toBe(join('/p', 'Default', 'Cache', 'Cache_Data'))
  })

  it('directorySize sums regular files recursively; a missing dir is 0', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'storage-test-'))
    try {
      expect(await directorySize(join(dir, 'missing'))).toBe(0)
      await writeFile(join(dir, 'a'), Buffer.alloc(100))
      await mkdir(join(dir, 'sub'))
      await writeFile(join(dir, 'sub', 'b'), Buffer.alloc(23))
      expect(await directorySize(dir)).toBe(123)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
