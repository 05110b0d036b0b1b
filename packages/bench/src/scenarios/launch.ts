/**
 * launch and close: a browser from nothing to its first answer, and from close() to the process
 * gone (and, for cdp-session and raw CDP, its temporary profile removed). Each iteration launches
 * and closes one browser; `launch` times the first half, `close` the second.
 */
import { launchCdpSession, launchPlaywright, launchPuppeteer, launchRaw } from '../lib/browsers.js'
import type { Contender, Scenario } from '../lib/types.js'

type Phase = 'launch' | 'close'

/** One contender's launch and close; the iteration returns the phase's time only. */
function timedPhase(phase: Phase, open: () => Promise<() => Promise<unknown>>): (n: number) => Promise<number> {
  return async () => {
    const t0 = performance.now()
    const close = await open()
    const t1 = performance.now()
    await close()
    const t2 = performance.now()
    return phase === 'launch' ? t1 - t0 : t2 - t1
  }
}

function contenders(phase: Phase): Contender[] {
  const contender = (id: Contender['id'], label: string, open: () => Promise<() => Promise<unknown>>): Contender => ({
    id,
    label,
    start: () => Promise.resolve({ iteration: timedPhase(phase, open), close: () => Promise.resolve() }),
  })
  return [
    contender('cdp-session', 'cdp-session launch() / browser.close()', async () => {
      const browser = await launchCdpSession()
      return () => browser.close()
    }),
    contender('playwright', 'Playwright chromium.launch() / browser.close()', async () => {
      const browser = await launchPlaywright()
      return () => browser.close()
    }),
    contender('puppeteer', 'Puppeteer launch() / browser.close()', async () => {
      const browser = await launchPuppeteer()
      return () => browser.close()
    }),
    contender('raw-cdp', 'raw: spawn + Browser.getVersion / SIGTERM + exit + profile removed', async () => {
      const raw = await launchRaw()
      return () => raw.close()
    }),
  ]
}

const common =
  'Each iteration launches a headless Chromium with the contender\'s own launcher and closes it again. ' +
  'cdp-session: `launch()` (which also starts the default session\'s gateway and attaches to the browser\'s targets) ' +
  'and `browser.close()`; Playwright `chromium.launch()` / `browser.close()`; Puppeteer `launch({ pipe: true })` / ' +
  '`browser.close()`; raw: spawn with `--remote-debugging-pipe` and `about:blank`, until `Browser.getVersion` answers, ' +
  'and SIGTERM until the process exited and its temporary profile is removed. cdp-session closes a browser with a temporary profile with SIGTERM too (Browser.close for a profile that stays); Playwright and Puppeteer send Browser.close.'

export const launchScenario: Scenario = {
  id: 'launch',
  title: 'Launch: start a browser until its first answer',
  description: `${common} Timed: from the launch call until it resolves (the browser answers commands).`,
  goals: { vsPlaywright: 1.0 },
  prepare: () => Promise.resolve({ contenders: contenders('launch'), dispose: () => Promise.resolve() }),
}

export const closeScenario: Scenario = {
  id: 'close',
  title: 'Close: a launched browser until it is gone',
  description: `${common} Timed: from the close call until it resolves.`,
  goals: { vsPlaywright: 1.0 },
  prepare: () => Promise.resolve({ contenders: contenders('close'), dispose: () => Promise.resolve() }),
}
