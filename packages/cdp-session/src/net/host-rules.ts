// Chromium's `--host-resolver-rules` (net/base/host_mapping_rules.cc), applied by the session
// gateway. Once a context uses a proxy, Chromium no longer resolves the names of proxied
// requests itself: the proxy does. So a browser launched with `MAP *.test 127.0.0.1` would
// lose its mapping behind the gateway unless the gateway honours the same rules.
//
// Grammar: rules separated by ',', each `MAP <pattern> <replacement>` or `EXCLUDE <pattern>`
// (case-insensitive keywords). Patterns use '*' and '?' and match the host name. EXCLUDE rules
// win over MAP rules; the first MAP rule that matches decides. A replacement of `~NOTFOUND`
// makes the name fail to resolve.
import { isIP } from 'node:net'
import { ValidationError } from '../common/errors.js'
import { chromiumMatchPattern } from './bypass-rules.js'
import type { LookupFn } from './resolver.js'
import { switchValue } from '../common/switches.js'

export interface HostMappingRules {
  /** The replacement host for `host`, `null` for ~NOTFOUND, `undefined` when no rule applies. */
  map(host: string): string | null | undefined
  readonly empty: boolean
}

interface MapRule {
  pattern: string
  replacement: string | null
}

/** Parses the value of `--host-resolver-rules`; throws ValidationError for what Chromium would drop. */
export function parseHostResolverRules(text: string, api = 'launch', argument = 'args (--host-resolver-rules)'): HostMappingRules {
  const maps: MapRule[] = []
  const excludes: string[] = []
  for (const raw of text.split(',')) {
    const rule = raw.trim()
    if (rule === '') continue
    const parts = rule.split(/\s+/)
    const keyword = (parts[0] ?? '').toUpperCase()
    if (keyword === 'EXCLUDE' && parts.length === 2) {
      excludes.push((parts[1] ?? '').toLowerCase())
      continue
    }
    if (keyword === 'MAP' && parts.length === 3) {
      const pattern = (parts[1] ?? '').toLowerCase()
      const target = parts[2] ?? ''
      if (target === '~NOTFOUND') {
        maps.push({ pattern, replacement: null })
        continue
      }
      // A replacement port (`MAP * 127.0.0.1:8080`) changes where the request goes, which a
      // resolver cannot express; refuse it instead of ignoring the port.
      const hostOnly = /^\[[0-9a-fA-F:.]+\]$|^[^:]+$/.test(target)
      if (!hostOnly) {
        throw new ValidationError(api, argument, rule, 'MAP rules whose replacement is a host without a port (the session gateway cannot remap ports)')
      }
      maps.push({ pattern, replacement: target.replace(/^\[(.*)\]$/, '$1').toLowerCase() })
      continue
    }
    throw new ValidationError(api, argument, rule, "rules of the form 'MAP <host pattern> <replacement host>' or 'EXCLUDE <host pattern>'")
  }
  return {
    empty: maps.length === 0,
    map(host: string): string | null | undefined {
      const name = host.toLowerCase()
      if (excludes.some((pattern) => chromiumMatchPattern(name, pattern))) return undefined
      for (const rule of maps) if (chromiumMatchPattern(name, rule.pattern)) return rule.replacement
      return undefined
    },
  }
}

/** The value of the last `--host-resolver-rules=` flag in `args`, if any. */
export function hostResolverRulesFlag(args: readonly string[]): string | undefined {
  return switchValue(args, 'host-resolver-rules')
}

/** A lookup that applies `rules` before asking `lookup` (a mapped IP literal answers itself). */
export function withHostRules(rules: HostMappingRules, lookup: LookupFn): LookupFn {
  if (rules.empty) return lookup
  return async (host) => {
    const mapped = rules.map(host)
    if (mapped === null) throw new Error(`'${host}' is mapped to ~NOTFOUND by --host-resolver-rules`)
    if (mapped !== undefined && isIP(mapped) !== 0) return [mapped]
    return lookup(mapped ?? host)
  }
}
