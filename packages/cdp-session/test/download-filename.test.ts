// Download file names as Chromium decides them: Content-Disposition (filename* over filename),
// the URL's last segment, "download"; unsafe characters replaced; "name (n).ext" uniquifying.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, test } from 'vitest'
import { dataUrlMimeType, filenameFromContentDisposition, mimeTypeOf, suggestedFilename, uniquePath } from '../src/electron/downloads/filename.js'

describe('filenameFromContentDisposition', () => {
  const cases: Array<[string | undefined, string | undefined]> = [
    ['attachment; filename="report.pdf"', 'report.pdf'],
    ['attachment; filename=report.pdf', 'report.pdf'],
    ['attachment;filename="a \\"quoted\\" name.txt"', 'a "quoted" name.txt'],
    [`attachment; filename="fallback.txt"; filename*=UTF-8''%C3%A9t%C3%A9.txt`, 'été.txt'],
    [`attachment; filename*=UTF-8''%E2%82%AC%20rates.csv; filename="EUR rates.csv"`, '€ rates.csv'],
    [`attachment; filename*=iso-8859-1'en'%A3%20rates.txt`, '£ rates.txt'],
    [`attachment; filename*=UTF-8''%FF%FE.txt; filename="plain.txt"`, 'plain.txt'],
    ['attachment; FILENAME="upper.txt"', 'upper.txt'],
    ['attachment; filename="%E6%97%A5%E6%9C%AC.txt"', '日本.txt'],
    ['inline', undefined],
    [undefined, undefined],
  ]
  for (const [header, expected] of cases) {
    test(`${String(header)} → ${String(expected)}`, () => {
      expect(filenameFromContentDisposition(header)).toBe(expected)
    })
  }
})

describe('suggestedFilename', () => {
  const cases: Array<[string, string | undefined, string]> = [
    ['http://a.test/files/report%202024.pdf?x=1', undefined, 'report 2024.pdf'],
    ['http://a.test/', undefined, 'download'],
    ['http://a.test/dir/', undefined, 'download'],
    ['http://a.test/x', 'attachment; filename="../../etc/passwd"', 'passwd'],
    ['http://a.test/x', 'attachment; filename="a:b*c?.txt"', 'a_b_c_.txt'],
    ['http://a.test/x', 'attachment; filename=".hidden"', 'hidden'],
  ]
  for (const [url, disposition, expected] of cases) {
    test(`${url} + ${String(disposition)} → ${expected}`, () => {
      expect(suggestedFilename(url, disposition)).toBe(expected)
    })
  }
})

describe('uniquePath', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cdp-session-unique-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))

  test('a free name stays; taken names get " (n)" before the extension (double extensions kept)', () => {
    expect(uniquePath(join(dir, 'free.txt'), new Set(), '.crdownload')).toBe(join(dir, 'free.txt'))
    writeFileSync(join(dir, 'a.txt'), '')
    writeFileSync(join(dir, 'a (1).txt'), '')
    expect(uniquePath(join(dir, 'a.txt'), new Set(), '.crdownload')).toBe(join(dir, 'a (2).txt'))
    writeFileSync(join(dir, 'b.tar.gz'), '')
    expect(uniquePath(join(dir, 'b.tar.gz'), new Set(), '.crdownload')).toBe(join(dir, 'b (1).tar.gz'))
    writeFileSync(join(dir, 'noext'), '')
    expect(uniquePath(join(dir, 'noext'), new Set(), '.crdownload')).toBe(join(dir, 'noext (1)'))
  })

  test('reserved names (downloads in progress) and their partial files count as taken', () => {
    expect(uniquePath(join(dir, 'c.bin'), new Set([join(dir, 'c.bin')]), '.crdownload')).toBe(join(dir, 'c (1).bin'))
    writeFileSync(join(dir, 'd.bin.crdownload'), '')
    expect(uniquePath(join(dir, 'd.bin'), new Set(), '.crdownload')).toBe(join(dir, 'd (1).bin'))
  })

  test('after 100 taken names there is none (Chromium fails the download)', () => {
    const reserved = new Set([join(dir, 'e.bin')])
    for (let n = 1; n <= 100; n++) reserved.add(join(dir, `e (${n}).bin`))
    expect(uniquePath(join(dir, 'e.bin'), reserved, '.crdownload')).toBeUndefined()
  })
})

test('MIME types: parameters dropped; data: URLs declare theirs (text/plain by default)', () => {
  expect(mimeTypeOf('Application/PDF; charset=binary')).toBe('application/pdf')
  expect(mimeTypeOf(undefined)).toBe('')
  expect(dataUrlMimeType('data:image/png;base64,AAAA')).toBe('image/png')
  expect(dataUrlMimeType('data:,hello')).toBe('text/plain')
})
