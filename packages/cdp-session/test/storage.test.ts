import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { NotSupportedError, ValidationError } from '../src/common/errors.js'
import { warningsOf } from './fixtures/warnings.js'
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

describe('parseOrigin (url::Origin::Create(GURL(value)))', () => {
  it('accepts window.location.origin forms and normalises them', () => {
    expect(parseOrigin('api', 'o', 'http://a.test')).toBe('http://a.test')
    expect(parseOrigin('api', 'o', 'https://a.test:8443')).toBe('https://a.test:8443')
    expect(parseOrigin('api', 'o', 'HTTP://A.Test:80')).toBe('http://a.test')
    expect(parseOrigin('api', 'o', 'http://127.0.0.1:3000')).toBe('http://127.0.0.1:3000')
    expect(parseOrigin('api', 'o', 'http://[::1]:8080')).toBe('http://[::1]:8080')
    expect(parseOrigin('api', 'o', 'http://a.test/')).toBe('http://a.test')
    // GURL trims surrounding white space too
    expect(parseOrigin('api', 'o', ' http://a.test')).toBe('http://a.test')
  })

  it.each(['http://a.test/path', 'http://a.test?x=1', 'http://a.test#h', 'http://u:p@a.test', 'http://a.test\\x'])('takes the origin of %j, warning about the rest', (value) => {
    let origin = ''
    const warnings = warningsOf(() => {
      origin = parseOrigin('api', 'o', value)
    })
    expect(origin).toBe('http://a.test')
    expect(warnings.join('\n')).toMatch(/Electron uses the URL's origin, http:\/\/a\.test/)
  })

  it.each(['*', '', ' ', 'nope', 'a.test', 'file:///x', 'ftp://a.test', 'ws://a.test', 'http://', 'http://a.test:99999', 'http://a b.test', 'javascript:1', 'null'])(
    'refuses %j, which has no http(s) origin (Electron would read it as every origin)',
    (value) => {
      const error = validationOf(() => parseOrigin('session.clearStorageData', 'options.origin', value))
      expect(error.argument).toBe('options.origin')
      expect(error.message).toMatch(/^session\.clearStorageData: argument 'options\.origin'/)
    },
  )

  it("gives clearData's Electron message when asked", () => {
    expect(validationOf(() => parseOrigin('session.clearData', 'options.origins.0', 'nope', (v) => `Invalid origin: '${v}'`)).message).toBe("Invalid origin: 'nope'")
  })

  it.each([undefined, null, 42, ['http://a.test'], {}])('refuses non-strings: %j', (value) => {
    expect(validationOf(() => parseOrigin('api', 'origin', value)).argument).toBe('origin')
  })
})

describe('planClearStorageData (Electron: GetStorageMask / GetQuotaMask)', () => {
  it('no options: every storage type, every origin', () => {
    const plan = planClearStorageData(undefined)
    expect(plan.origins).toBeUndefined()
    expect(plan.cache).toBe(false)
    expect([...plan.storageTypes].sort()).toEqual(['cache_storage', 'cookies', 'file_systems', 'indexeddb', 'local_storage', 'service_workers', 'shader_cache'])
    expect(planClearStorageData({})).toEqual(plan)
  })

  it("maps each of Electron's storage names, case-insensitively", () => {
    const expected: Record<string, string[]> = {
      cookies: ['cookies'],
      filesystem: ['file_systems'],
      indexdb: ['indexeddb'],
      localstorage: ['local_storage'],
      shadercache: ['shader_cache'],
      serviceworkers: ['service_workers'],
      cachestorage: ['cache_storage'],
    }
    expect(Object.keys(ELECTRON_STORAGE_TYPES).sort()).toEqual(Object.keys(expected).sort())
    for (const [name, types] of Object.entries(expected)) {
      expect(planClearStorageData({ storages: [name] }).storageTypes).toEqual(types)
      expect(planClearStorageData({ storages: [name.toUpperCase()] }).storageTypes).toEqual(types)
    }
    expect(planClearStorageData({ storages: ['localStorage'] }).storageTypes).toEqual(['local_storage'])
  })

  it('names Electron does not know (appcache, websql, typos) are ignored with a warning and clear nothing', () => {
    let plan: ReturnType<typeof planClearStorageData> | undefined
    const warnings = warningsOf(() => {
      plan = planClearStorageData({ storages: ['appcache', 'websql', 'everything', 'cookies'] })
    })
    expect(plan?.storageTypes).toEqual(['cookies'])
    expect(warnings).toHaveLength(3)
    expect(warnings[0]).toMatch(/^session\.clearStorageData: ignored storage name "appcache": Electron knows cookies, filesystem/)
  })

  it("quotas: only 'temporary' counts; without it quota-managed storage is left alone", () => {
    const plan = planClearStorageData({ origin: 'https://A.test:443', storages: ['localstorage', 'indexdb', 'localstorage', 'websql'], quotas: ['temporary', 'persistent', 'syncable'] })
    expect(plan).toEqual({ origins: ['https://a.test'], storageTypes: ['local_storage', 'indexeddb'], cache: false })
    expect(planClearStorageData({ quotas: ['TEMPORARY'] }).storageTypes).toHaveLength(7)
    let none: ReturnType<typeof planClearStorageData> | undefined
    const warnings = warningsOf(() => {
      none = planClearStorageData({ quotas: ['persistent'] })
    })
    expect([...(none?.storageTypes ?? [])].sort()).toEqual(['cookies', 'local_storage', 'shader_cache'])
    expect(warnings.join('\n')).toMatch(/ignored quota name "persistent": Electron knows only 'temporary'/)
    expect([...planClearStorageData({ quotas: [] }).storageTypes].sort()).toEqual(['cookies', 'local_storage', 'shader_cache'])
  })

  it('an empty storages list clears nothing', () => {
    expect(planClearStorageData({ storages: [] }).storageTypes).toEqual([])
  })

  it('refuses what Electron would read as "clear everything", naming the argument', () => {
    expect(validationOf(() => planClearStorageData({ origin: '*' })).argument).toBe('options.origin')
    expect(validationOf(() => planClearStorageData({ origin: '' })).argument).toBe('options.origin')
    expect(validationOf(() => planClearStorageData({ origin: 5 })).argument).toBe('options.origin')
    expect(validationOf(() => planClearStorageData({ storages: 'cookies' })).argument).toBe('options.storages')
    expect(validationOf(() => planClearStorageData({ storages: ['cookies', 5] })).argument).toBe('options.storages.1')
    expect(validationOf(() => planClearStorageData({ origins: ['http://a.test'] })).argument).toBe('options.origins')
    expect(validationOf(() => planClearStorageData('http://a.test')).argument).toBe('options')
    expect(validationOf(() => planClearStorageData(null)).argument).toBe('options')
  })
})

describe("planClearData (Electron's Session::ClearData)", () => {
  it('no options: every storage type and the cache, every origin', () => {
    const plan = planClearData(undefined)
    expect(plan.origins).toBeUndefined()
    expect(plan.cache).toBe(true)
    expect(plan.storageTypes).toContain('cookies')
    expect(plan.storageTypes).toContain('local_storage')
  })

  it("maps Electron's data types; 'cache' is the HTTP cache and Cache Storage", () => {
    expect(planClearData({ dataTypes: ['localStorage', 'indexedDB', 'fileSystems', 'serviceWorkers', 'cookies'] })).toEqual({
      origins: undefined,
      storageTypes: ['local_storage', 'indexeddb', 'file_systems', 'service_workers', 'cookies'],
      cache: false,
    })
    expect(planClearData({ dataTypes: ['cache'] })).toEqual({ origins: undefined, storageTypes: ['cache_storage'], cache: true })
  })

  it('unknown data types (webSQL, wrong case) are ignored with a warning', () => {
    let plan: ReturnType<typeof planClearData> | undefined
    const warnings = warningsOf(() => {
      plan = planClearData({ dataTypes: ['webSQL', 'localstorage', 'cookies'], originMatchingMode: 'sometimes' })
    })
    expect(plan?.storageTypes).toEqual(['cookies'])
    expect(warnings.join('\n')).toMatch(/ignored data type "webSQL"/)
    expect(warnings.join('\n')).toMatch(/ignored data type "localstorage"/)
    expect(warnings.join('\n')).toMatch(/originMatchingMode "sometimes"/)
  })

  it('origins are read as origins one by one', () => {
    expect(planClearData({ origins: ['http://a.test', 'HTTP://a.test:80/x', 'https://b.test'], dataTypes: ['cookies'] }).origins).toEqual(['http://a.test', 'https://b.test'])
    const invalid = validationOf(() => planClearData({ origins: ['http://a.test', '*'] }))
    expect(invalid.argument).toBe('options.origins.1')
    expect(invalid.message).toBe("Invalid origin: '*'")
    expect(validationOf(() => planClearData({ origins: 'http://a.test' })).argument).toBe('options.origins')
    expect(validationOf(() => planClearData({ origins: [5] })).argument).toBe('options.origins.0')
  })

  it("origins and excludeOrigins together: Electron's message", () => {
    const error = validationOf(() => planClearData({ origins: ['http://a.test'], excludeOrigins: ['http://b.test'] }))
    expect(error.argument).toBe('options.excludeOrigins')
    expect(error.message).toBe("Cannot provide both 'origins' and 'excludeOrigins'")
  })

  it('what CDP cannot do throws NotSupportedError instead of being skipped', () => {
    expect(() => planClearData({ dataTypes: ['downloads'] })).toThrow(NotSupportedError)
    expect(() => planClearData({ dataTypes: ['backgroundFetch'] })).toThrow(NotSupportedError)
    expect(() => planClearData({ excludeOrigins: ['http://a.test'] })).toThrow(NotSupportedError)
    expect(() => planClearData({ origins: ['http://a.test'] })).toThrow(/cache cannot be cleared per origin/)
    expect(planClearData({ excludeOrigins: [] }).origins).toBeUndefined()
  })

  it('refuses unknown options and non-list data types (Electron would clear everything)', () => {
    expect(validationOf(() => planClearData({ dataTypes: 'cookies' })).argument).toBe('options.dataTypes')
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
