// The PAC worker thread: holds one compiled PAC script (pac-engine.ts) and runs it on request,
// so a script that loops or grinds blocks this thread, never the main event loop. The main
// thread (pac.ts) bounds every request and terminates this thread when one overruns.
import { parentPort } from 'node:worker_threads'
import { PacEngine, type PacClock, type PacEngineOptions, type PacRun, type PacRunInput } from './pac-engine.js'

export type PacWorkerRequest =
  | { id: number; type: 'compile'; source: string; options: PacEngineOptions; clock: PacClock; budgetMs: number }
  | ({ id: number; type: 'run' } & PacRunInput)

export interface PacWorkerReply {
  id: number
  run: PacRun
}

let engine: PacEngine | undefined
const port = parentPort
port?.on('message', (request: PacWorkerRequest) => {
  void (async () => {
    let run: PacRun
    if (request.type === 'compile') {
      engine?.dispose()
      const compiled = await PacEngine.compile(request.source, request.options, request.clock, Date.now() + request.budgetMs)
      engine = compiled.engine
      run = compiled.run
    } else if (engine === undefined) {
      run = { outcome: { kind: 'error', reason: 'disposed', message: 'PAC script is not compiled' }, misses: [], alerts: [] }
    } else {
      run = engine.run(request)
    }
    port.postMessage({ id: request.id, run } satisfies PacWorkerReply)
  })()
})
