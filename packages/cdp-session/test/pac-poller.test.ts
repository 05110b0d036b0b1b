// The PAC re-check schedule (net/pac-poller.ts) against Chromium's DefaultPollPolicy
// (net/proxy_resolution/configured_proxy_resolution_service.cc): after a failure 8 s on a timer,
// then 32 s, 2 min and 4 h each waiting for activity; after a success 12 h after activity.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { PacError } from '../src/net/pac.js'
import { PAC_RETRY_ENV, PacPoller } from '../src/net/pac-poller.js'

beforeEach(() => {
  vi.useFakeTimers()
  delete process.env[PAC_RETRY_ENV]
})
afterEach(() => {
  vi.useRealTimers()
  delete process.env[PAC_RETRY_ENV]
})

function failingPoller(onChange = vi.fn()): { poller: PacPoller; fetch: ReturnType<typeof vi.fn>; onChange: typeof onChange } {
  const fetch = vi.fn(() => Promise.reject(new PacError('load', 'answered HTTP 404')))
  const poller = new PacPoller({ failed: true, lastError: 'answered HTTP 404', fetch, onChange })
  return { poller, fetch, onChange }
}

describe('PacPoller', () => {
  it("after a failure: 8 s on a timer, then 32 s, 120 s, 4 h, each started by activity once due", async () => {
    const { poller, fetch, onChange } = failingPoller()
    await vi.advanceTimersByTimeAsync(7_999)
    expect(fetch).toHaveBeenCalledTimes(0)
    await vi.advanceTimersByTimeAsync(1)
    expect(fetch).toHaveBeenCalledTimes(1)
    // the same failure again is no change; the next check waits 32 s and then for activity
    await vi.advanceTimersByTimeAsync(40_000)
    expect(fetch).toHaveBeenCalledTimes(1)
    poller.onActivity()
    await vi.advanceTimersByTimeAsync(0)
    expect(fetch).toHaveBeenCalledTimes(2)
    poller.onActivity()
    await vi.advanceTimersByTimeAsync(119_000)
    poller.onActivity()
    expect(fetch).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(1_000)
    poller.onActivity()
    await vi.advanceTimersByTimeAsync(0)
    expect(fetch).toHaveBeenCalledTimes(3)
    await vi.advanceTimersByTimeAsync(4 * 3_600_000 - 1)
    poller.onActivity()
    expect(fetch).toHaveBeenCalledTimes(3)
    await vi.advanceTimersByTimeAsync(1)
    poller.onActivity()
    await vi.advanceTimersByTimeAsync(0)
    expect(fetch).toHaveBeenCalledTimes(4)
    expect(onChange).not.toHaveBeenCalled()
    poller.stop()
  })

  it('a re-check that now fetches the script reports a change and stops', async () => {
    const onChange = vi.fn()
    const fetch = vi.fn(() => Promise.resolve("function FindProxyForURL() { return 'DIRECT' }"))
    const poller = new PacPoller({ failed: true, lastError: 'answered HTTP 404', fetch, onChange })
    await vi.advanceTimersByTimeAsync(8_000)
    expect(onChange).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(10 * 3_600_000)
    poller.onActivity()
    expect(fetch).toHaveBeenCalledTimes(1)
  })

  it('after a success: 12 h after activity; the same text is no change, other text is', async () => {
    const onChange = vi.fn()
    let text = 'A'
    const fetch = vi.fn(() => Promise.resolve(text))
    const poller = new PacPoller({ failed: false, lastSource: 'A', fetch, onChange })
    await vi.advanceTimersByTimeAsync(12 * 3_600_000 - 1)
    poller.onActivity()
    expect(fetch).toHaveBeenCalledTimes(0)
    await vi.advanceTimersByTimeAsync(1)
    poller.onActivity()
    await vi.advanceTimersByTimeAsync(0)
    expect(fetch).toHaveBeenCalledTimes(1)
    expect(onChange).not.toHaveBeenCalled()
    text = 'B'
    await vi.advanceTimersByTimeAsync(12 * 3_600_000)
    poller.onActivity()
    await vi.advanceTimersByTimeAsync(0)
    expect(onChange).toHaveBeenCalledTimes(1)
  })

  it(`${PAC_RETRY_ENV} replaces the delays after a failure (the last one repeats)`, async () => {
    process.env[PAC_RETRY_ENV] = '100,50'
    const { poller, fetch } = failingPoller()
    await vi.advanceTimersByTimeAsync(100)
    expect(fetch).toHaveBeenCalledTimes(1)
    await vi.advanceTimersByTimeAsync(50)
    poller.onActivity()
    await vi.advanceTimersByTimeAsync(0)
    expect(fetch).toHaveBeenCalledTimes(2)
    await vi.advanceTimersByTimeAsync(50)
    poller.onActivity()
    await vi.advanceTimersByTimeAsync(0)
    expect(fetch).toHaveBeenCalledTimes(3)
    poller.stop()
    await vi.advanceTimersByTimeAsync(1_000)
    poller.onActivity()
    expect(fetch).toHaveBeenCalledTimes(3)
  })
})
