// A shared worker's loaders are built once, when its script has arrived, and Chromium never
// rebuilds them (crbug.com/40154954): interception the worker does not have by then it never
// gets. request-interceptor.ts gives every shared worker its own Fetch at attach; this holds the
// worker's script request in the session gateway until that Fetch is on, so the hooks set later
// reach the worker's requests too. Only an http:// script can be held: an https:// one goes
// through a tunnel the gateway does not read (docs/feature-matrix.md states the limit).
import { detach } from '../common/util.js'
import type { SessionContext } from './context.js'

export function holdSharedWorkerScripts(core: SessionContext): void {
  detach(
    core.binding.then((b) => {
      if (typeof b.proxy === 'string' || core.closed) return
      const { interceptor, contextId } = b
      // Sec-Fetch-Dest names a worker's script request (Chromium sends it on every request).
      b.proxy.gateway.setRequestHold((head) => (head.headers['sec-fetch-dest'] === 'sharedworker' ? interceptor.sharedWorkersSettled(contextId) : undefined))
    }, () => undefined),
    'shared worker script hold',
  )
}
