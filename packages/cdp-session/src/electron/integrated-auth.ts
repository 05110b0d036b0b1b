// ses.allowNTLMCredentialsForDomains: the hosts to which Chromium may send the user's own
// (ambient) credentials for NTLM and Negotiate, without asking the 'login' handlers. Chromium
// keeps one such list for its whole network service (HttpAuthPreferences, set from
// --auth-server-allowlist at launch), and Electron sets that one list from any session
// (ConfigureHttpAuthPrefs), so here too the list belongs to the browser, not the session.
// Explicit credentials from 'login' work for NTLM on every host either way (e2e/ntlm.test.ts).
import { ginConversionError } from '../common/input-policy.js'
import { parseBypassRules } from '../net/bypass-rules.js'
import type { SessionContext } from './context.js'

const API = 'session.allowNTLMCredentialsForDomains'

export function allowNtlmCredentialsForDomains(session: SessionContext, domains: unknown): void {
  if (typeof domains !== 'string') throw ginConversionError(API, 0, 'domains', domains)
  // Chromium parses the list as proxy bypass rules (HttpAuthFilterAllowlist::SetAllowlist):
  // the same grammar, the same rules dropped, each said once.
  parseBypassRules(domains, API, 'domains')
  session.assertOpen(API)
  session.setAuthServerAllowlist(API, domains)
}
