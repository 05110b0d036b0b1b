import { defineConfig } from 'vitest/config'

// The user's-eye view: 'cdp-session/vitest' resolves to the built package, as after `npm install cdp-session`.
export default defineConfig({
  test: { include: ['vitest.example.test.ts'], testTimeout: 60_000, hookTimeout: 60_000 },
})
