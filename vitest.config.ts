import { fileURLToPath } from 'node:url'
import { configDefaults, defineConfig } from 'vitest/config'

const source = (path: string): string => fileURLToPath(new URL(`./packages/cdp-session/src/${path}`, import.meta.url))

// Tests run against the library's sources; the subpaths map as the package's exports do.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^cdp-session$/, replacement: source('index.ts') },
      { find: /^cdp-session\/(vitest|playwright-test|node-test)$/, replacement: source('testing/$1.ts') },
      { find: /^cdp-session\/puppeteer$/, replacement: source('interop/puppeteer.ts') },
    ],
  },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          // Unit tests first, then the e2e files (projects with different pools need distinct groups).
          sequence: { groupOrder: 0 },
          include: ['packages/cdp-session/test/**/*.test.ts', 'e2e/fixtures/**/*.test.ts'],
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          sequence: { groupOrder: 1 },
          include: ['e2e/**/*.test.ts', 'packages/examples/test/**/*.test.ts'],
          exclude: [...configDefaults.exclude, 'e2e/fixtures/**'],
          // One browser per test file; files run in separate forks, two at a time (2 cores).
          pool: 'forks',
          maxWorkers: 2,
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
})
