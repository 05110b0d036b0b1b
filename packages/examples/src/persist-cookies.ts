// Cookies that survive a relaunch: a 'persist:' session keeps its cookie store under the
// user-data directory; flushStore() puts it on disk, and the next launch with that directory
// finds it. An in-memory session of the same run keeps nothing.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { launch } from 'cdp-session'
import { isMain } from './site.js'

export async function runPersistCookies(log: (line: string) => void = console.log) {
  const userDataDir = await mkdtemp(join(tmpdir(), 'cdp-session-example-'))
  const url = 'https://app.invalid/'
  try {
    const first = await launch({ userDataDir })
    try {
      const expirationDate = Math.floor(Date.now() / 1000) + 3600
      await first.session.fromPartition('persist:profile').cookies.set({ url, name: 'sid', value: 'kept', expirationDate })
      await first.session.fromPartition('memory').cookies.set({ url, name: 'sid', value: 'lost', expirationDate })
      await first.session.fromPartition('persist:profile').cookies.flushStore()
    } finally {
      await first.close()
    }
    const second = await launch({ userDataDir })
    try {
      const persistent = await second.session.fromPartition('persist:profile').cookies.get({ url })
      const memory = await second.session.fromPartition('memory').cookies.get({ url })
      const report = {
        storagePath: second.session.fromPartition('persist:profile').getStoragePath(),
        persistent: persistent.map((c) => `${c.name}=${c.value}`),
        memory: memory.map((c) => `${c.name}=${c.value}`),
      }
      log(`after relaunch: persist:profile has ${report.persistent.join(', ') || 'nothing'}; memory has ${report.memory.join(', ') || 'nothing'}`)
      return report
    } finally {
      await second.close()
    }
  } finally {
    await rm(userDataDir, { recursive: true, force: true })
  }
}

if (isMain(import.meta.url)) await runPersistCookies()
