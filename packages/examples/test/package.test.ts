// The package as a user installs it: `pnpm pack` the library, install the tarball into a scratch
// project outside the workspace, compile a script against it with `tsc --strict` (Node-only lib,
// no DOM, `skipLibCheck: false`: every published .d.ts is checked), then run it on Chromium.
import { execFile } from 'node:child_process'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'

const run = promisify(execFile)
const library = fileURLToPath(new URL('../../cdp-session/', import.meta.url))
const workspaceTsc = fileURLToPath(new URL('../../../node_modules/typescript/lib/tsc.js', import.meta.url))
const typesNode = fileURLToPath(new URL('../../../node_modules/@types/node', import.meta.url))

const SMOKE = `import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { launch, ValidationError, type Cookie, type Session, type WebContents } from 'cdp-session'

const server = createServer((_req, res) => {
  res.setHeader('set-cookie', 'from=server')
  res.setHeader('content-type', 'text/html')
  res.end('<title>smoke</title>')
})
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
const url = \`http://127.0.0.1:\${(server.address() as AddressInfo).port}/\`
const browser = await launch()
try {
  const ses: Session = browser.session.fromPartition('smoke')
  const page: WebContents = await ses.createWebContents()
  await page.loadURL(url)
  const cookies: Cookie[] = await ses.cookies.get({ url })
  let code = ''
  try {
    ses.setUserAgent('')
  } catch (error) {
    if (error instanceof ValidationError) code = error.code
  }
  // A PAC script runs on the package's own worker thread (dist/net/pac-worker.js).
  await ses.setProxy({ pacScript: 'data:,' + encodeURIComponent('function FindProxyForURL(url, host) { return "PROXY " + host + ":1; DIRECT"; }') })
  const pac = await ses.resolveProxy('http://example.test/')
  console.log(JSON.stringify({ title: await page.executeJavaScript('document.title'), cookies: cookies.map((c) => c.name + '=' + c.value), code, pac }))
} finally {
  await browser.close()
  server.close()
}
`

let scratch = ''
let tarball = ''

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'cdp-session-user-'))
  await run('pnpm', ['pack', '--pack-destination', scratch], { cwd: library })
  tarball = join(scratch, (await readdir(scratch)).find((f) => f.endsWith('.tgz'))!)
}, 120_000)
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true })
})

describe('the packed library in a project of its own', { timeout: 180_000 }, () => {
  test('the tarball holds the built code, types, README and LICENSE, and no sources or tests', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball])
    const files = stdout.trim().split('\n')
    expect(files).toEqual(expect.arrayContaining(['package/package.json', 'package/README.md', 'package/LICENSE', 'package/dist/index.js', 'package/dist/index.d.ts', 'package/dist/testing/vitest.js', 'package/dist/interop/puppeteer.d.ts', 'package/dist/net/pac-worker.js']))
    expect(files.filter((f) => /\/(src|test)\/|\.map$/.test(f))).toEqual([])
  })

  test('installs, compiles under tsc --strict with skipLibCheck false and no DOM lib, and runs', async () => {
    const project = join(scratch, 'app')
    await run('mkdir', ['-p', project])
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'user-app', private: true, type: 'module' }))
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, skipLibCheck: false, lib: ['ES2023', 'ESNext.Disposable'], types: ['node'], typeRoots: [join(typesNode, '..')], outDir: 'out' },
        files: ['smoke.ts'],
      }),
    )
    await writeFile(join(project, 'smoke.ts'), SMOKE)
    // Dependencies come from pnpm's store (offline when it has them, as on a developer's machine).
    await run('pnpm', ['add', tarball, '--prefer-offline', '--ignore-workspace', '--reporter=silent'], { cwd: project })
    const compiled = await run(process.execPath, [workspaceTsc, '-p', '.'], { cwd: project }).catch((error: { stdout?: string }) => error)
    expect('stdout' in compiled ? compiled.stdout : '').toBe('')
    const { stdout } = await run(process.execPath, [join(project, 'out', 'smoke.js')], { cwd: project, timeout: 60_000 })
    expect(JSON.parse(stdout)).toEqual({ title: 'smoke', cookies: ['from=server'], code: 'ERR_INVALID_ARGUMENT', pac: 'PROXY example.test:1;DIRECT' })

    // A misspelt event name is a compile error that names the event names there are.
    await writeFile(join(project, 'typo.ts'), `import type { WebContents } from 'cdp-session'\nexport function watch(wc: WebContents): void {\n  wc.on('did-finsh-load', () => undefined)\n}\n`)
    await writeFile(join(project, 'tsconfig.typo.json'), JSON.stringify({ extends: './tsconfig.json', files: ['typo.ts'] }))
    const typo = await run(process.execPath, [workspaceTsc, '-p', 'tsconfig.typo.json', '--noEmit'], { cwd: project }).then(
      () => ({ stdout: 'compiled without error' }),
      (error: { stdout: string }) => error,
    )
    expect(typo.stdout).toContain(`Argument of type '"did-finsh-load"' is not assignable to parameter of type`)
    expect(typo.stdout).toContain('"did-finish-load"')
  })
})
