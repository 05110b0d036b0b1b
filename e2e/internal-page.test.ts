import { describe, expect, test } from './fixtures/test.js'
import { bindingOf } from './fixtures/internals.js'
describe('internal page', () => {
  test('withInternalPage gives a page session of the context that is no WebContents', async ({ browser, session }) => {
    const created: number[] = []
    browser.on('web-contents-created', (_e, wc) => created.push(wc.id))
    const binding = await bindingOf(session)
    const [r, wc] = await Promise.all([
      binding.manager.withInternalPage(binding.contextId!, async (client) => (await client.send('Runtime.evaluate', { expression: '1+1', returnByValue: true })).result.value),
      session.createWebContents(),
    ])
    expect(r).toBe(2)
    expect(created.filter((id) => browser.webContents.fromId(id)?.session === session)).toEqual([wc.id])
    expect(session.getAllWebContents()).toEqual([wc])
  })
})
