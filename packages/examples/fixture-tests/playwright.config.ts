import { defineConfig } from '@playwright/test'

// Only the cdp-session fixture example; no Playwright browser is used (cdp-session launches
// the installed Chromium itself).
export default defineConfig({
  testDir: '.',
  testMatch: /.*\.example\.spec\.ts$/,
  workers: 1,
  timeout: 60_000,
  reporter: [['list']],
})
