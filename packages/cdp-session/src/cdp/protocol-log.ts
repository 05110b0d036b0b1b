// `NODE_DEBUG=cdp-session` (or `DEBUG=cdp-session`) logs every CDP message of the connection:
// commands sent (→), their answers (←) and events (⇠), each with the flat session it belongs to
// ('browser', or the target's session id), for users debugging their scripts. Long messages are
// cut; nothing is logged, and nothing is parsed, while it is off.
import { format } from 'node:util'
import { debug } from '../common/util.js'
import type { Transport } from './transport.js'

const MAX_LENGTH = 500

function enabled(): boolean {
  return debug.enabled || /(^|[\s,])cdp-session(\*|:\*)?([\s,]|$)/.test(process.env.DEBUG ?? '')
}

function describe(direction: string, text: string): string {
  let message: { id?: number; method?: string; sessionId?: string; params?: unknown; result?: unknown; error?: { message?: string } }
  try {
    message = JSON.parse(text) as typeof message
  } catch {
    return `${direction} (unparsable) ${text.slice(0, MAX_LENGTH)}`
  }
  const session = message.sessionId ? message.sessionId.slice(0, 8) : 'browser'
  const body = JSON.stringify(message.params ?? message.result ?? message.error ?? {})
  const cut = body.length > MAX_LENGTH ? `${body.slice(0, MAX_LENGTH)}… (${body.length} chars)` : body
  if (message.method !== undefined && message.id !== undefined) return `→ ${session} #${message.id} ${message.method} ${cut}`
  if (message.method !== undefined) return `⇠ ${session} ${message.method} ${cut}`
  return `← ${session} #${String(message.id)}${message.error ? ' error' : ''} ${cut}`
}

function log(line: string): void {
  if (debug.enabled) debug('%s', line)
  else process.stderr.write(`${format('CDP-SESSION %d: %s', process.pid, line)}\n`)
}

/** The transport itself while logging is off; a logging wrapper around it while on. */
export function withProtocolLog(transport: Transport): Transport {
  if (!enabled()) return transport
  const logged: Transport = {
    send: (message) => {
      log(describe('→', message))
      transport.send(message)
    },
    close: () => transport.close(),
  }
  transport.onmessage = (message) => {
    log(describe('←', message))
    logged.onmessage?.(message)
  }
  transport.onclose = () => logged.onclose?.()
  return logged
}
