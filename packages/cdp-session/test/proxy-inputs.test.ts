// setProxy inputs Chromium accepts although they look wrong (issue #13): what Chromium's parsers
// drop is dropped here too and said once through process.emitWarning. Sources of the vectors as
// in proxy-config.test.ts: CR_CONFIG net/proxy_resolution/proxy_config_unittest.cc, CR_URI
// net/base/proxy_string_util_unittest.cc, CR_BYPASS net/proxy_resolution/proxy_bypass_rules_unittest.cc.
import { describe, expect, it } from 'vitest'
import { ValidationError } from '../src/common/errors.js'
import { warningsOf } from './fixtures/warnings.js'
import { parseBypassRules } from '../src/net/bypass-rules.js'
import { parseProxyConfig, parseProxyRules, resolveProxyString } from '../src/net/proxy-config.js'

describe('parseProxyRules: what Chromium drops is dropped here too, with one warning', () => {
  // [rules, url, what resolveProxy answers, the warning (null: none)]
  const cases: Array<[string, string, string, RegExp | null]> = [
    // CR_CONFIG ProxyConfigTest.ParseProxyRules "Give a scheme-specific proxy as well as a non-scheme specific" (the first entry "foopy" makes it PROXY_LIST)
    ['foopy ; ftp=ftp-proxy', 'http://example.com/', 'PROXY foopy:80', /after a proxy list for all URLs, Chromium reads nothing more/],
    ['foopy ; ftp=ftp-proxy', 'https://example.com/', 'PROXY foopy:80', /"ftp=ftp-proxy"/],
    ['foopy ; ftp=ftp-proxy', 'ftp://example.com/', 'PROXY foopy:80', /after a proxy list/],
    // CR_CONFIG same test, other order (the first entry makes it PROXY_LIST_PER_SCHEME; "foopy" is dropped)
    ['ftp=ftp-proxy ; foopy', 'http://example.com/', 'DIRECT', /"foopy" \(a proxy list without "scheme=" after a "scheme=" entry\)/],
    ['ftp=ftp-proxy ; foopy', 'ftp://example.com/', 'PROXY ftp-proxy:80', /without "scheme="/],
    // CR_CONFIG ProxyConfigTest.ParseProxyRules "Include unsupported schemes -- they are discarded"
    ['crazy=foopy ; foo=bar ; https=myhttpsproxy', 'https://example.com/', 'PROXY myhttpsproxy:80', /"crazy=foopy" \(Chromium knows http=, https=, ftp= and socks=\)/],
    ['crazy=foopy ; foo=bar ; https=myhttpsproxy', 'http://example.com/', 'DIRECT', /"foo=bar"/],
    // Chromium compares the key case-sensitively
    ['HTTP=foopy', 'http://example.com/', 'DIRECT', /keys are lower case, write "http="/],
    // an unknown key still makes the rules per-scheme, so a later plain list is dropped
    ['crazy=x ; foopy', 'http://example.com/', 'DIRECT', /without "scheme="/],
    // CR_CONFIG ProxyConfigTest.ParseProxyRules "Multi-proxy bracketed URIs will result in no proxy being set"
    ['http=[https://proxy1:8080 https://proxy2:8080]', 'http://example.com/', 'DIRECT', /bracketed multi-proxy chains exist only in debug builds/],
    // CR_CONFIG ProxyConfigTest.ParseProxyRulesQuicIsNotAllowed: PROXY_LIST with no proxy in it
    ['quic://foopy:443', 'http://example.com/', '', /other than quic:\/\/.*ERR_NO_SUPPORTED_PROXIES|ERR_NO_SUPPORTED_PROXIES/s],
    // CR_URI ProxySpecificationUtilTest.InvalidProxyUriToProxyServer: each one is dropped, leaving no proxy
    ['dddf:', 'http://example.com/', '', /"dddf:" \(expected a port number/],
    ['dddd:d', 'http://example.com/', '', /"dddd:d"/],
    ['http://', 'http://example.com/', '', /expected a proxy host/],
    ['http:/', 'http://example.com/', '', /"http:\/"/],
    ['http:', 'http://example.com/', '', /"http:"/],
    ['foopy.111', 'http://example.com/', '', /a valid host name or IP address/],
    ['foo.test/', 'http://example.com/', '', /no user name, path/],
    ['foo.test:123/', 'http://example.com/', '', /no user name, path/],
    ['foo.test/foo', 'http://example.com/', '', /no user name, path/],
    // CR_URI ProxySpecificationUtilTest.DirectProxyUriToProxyChain "direct://xyz"
    ['direct://xyz', 'http://example.com/', '', /nothing after direct:\/\//],
    // a dropped item leaves the rest of its list
    ['http=foo:x,bar', 'http://example.com/', 'PROXY bar:80', /"foo:x"/],
    ['ftp://foopy,direct://', 'http://example.com/', 'DIRECT', /a proxy scheme of http, https, socks4, socks5, socks or direct/],
    ['user:pass@foopy:80', 'http://example.com/', '', /no user name/],
    ['::1', 'http://example.com/', '', /IPv6 proxy address in brackets/],
    ['[::1', 'http://example.com/', '', /closed by "\]"/],
    ['foopy:65536', 'http://example.com/', '', /0-65535/],
    ['foopy:+80', 'http://example.com/', '', /a port number/],
    // white space only is a list for all URLs with nothing in it (Electron passes any non-empty string on)
    ['  ', 'http://example.com/', '', /no proxy is left to use, so requests fail with ERR_NO_SUPPORTED_PROXIES/],
    // ... and the implicit bypass still applies before it
    ['  ', 'http://localhost/', 'DIRECT', /ERR_NO_SUPPORTED_PROXIES/],
    // what Chromium accepts that looks odd: no warning, Chromium's result
    // url::ParsePort: port 0 and leading zeros parse
    ['foopy:0', 'http://example.com/', 'PROXY foopy:0', null],
    ['foopy:000080', 'http://example.com/', 'PROXY foopy:80', null],
    // "=" pieces pair up: http=a, https=b
    ['http=a=https=b', 'https://example.com/', 'PROXY b:80', null],
    // "http=" is one piece: a list for all URLs naming the host "http"
    ['http=', 'https://example.com/', 'PROXY http:80', null],
    ['=foopy', 'https://example.com/', 'PROXY foopy:80', null],
    // a lone last piece after a pair is dropped
    ['http=a=b', 'http://example.com/', 'PROXY a:80', /"b" \(a proxy list without "scheme="/],
    // separators only: the rules are empty, which is DIRECT
    [';;', 'http://example.com/', 'DIRECT', null],
    [' ; ; ', 'http://example.com/', '', /ERR_NO_SUPPORTED_PROXIES/],
    // duplicate schemes accumulate; empty items are skipped
    ['http=a,,b;;http=c;', 'http://example.com/', 'PROXY a:80;PROXY b:80;PROXY c:80', null],
  ]
  it.each(cases)('%j for %s → %j', (rules, url, expected, warning) => {
    let answer = ''
    const warnings = warningsOf(() => {
      answer = resolveProxyString(parseProxyConfig({ proxyRules: rules }), url)
    })
    expect(answer).toBe(expected)
    if (warning === null) expect(warnings).toEqual([])
    else expect(warnings.join('\n')).toMatch(warning)
    for (const text of warnings) expect(text).toMatch(/^ses\.setProxy: ignored in proxyRules "/)
  })
  it('warns once per distinct input', () => {
    const warnings = warningsOf(() => {
      for (let i = 0; i < 3; i++) parseProxyRules('foopy ; ftp=ftp-proxy')
      parseProxyRules('foopy ; http=other')
    })
    expect(warnings).toHaveLength(2)
  })
  it('rejects only what is not a string; no length limit (Chromium has none)', () => {
    expect(() => parseProxyRules(42 as unknown as string)).toThrow(ValidationError)
    expect(warningsOf(() => expect(parseProxyRules('a,'.repeat(40000))).toMatchObject({ type: 'single' }))).toEqual([])
  })
})

describe('parseBypassRules: dropped rules', () => {
  const dropped: Array<[string, RegExp]> = [
    // CR_BYPASS ProxyBypassRulesTest.BadInputs
    ['://', /a URL scheme before ":\/\/"/],
    ['http://', /a host after the scheme/],
    ['*.foo.com:-34', /a port number 1-65535/],
    // CR_BYPASS ProxyBypassRulesTest.ParseInvalidPort
    ['*.com:+443', /a port number 1-65535/],
    ['*.com:-443', /a port number 1-65535/],
    // CR_BYPASS ProxyBypassRulesTest.ParseBracketedIPv6Range
    ['[a:b:c:d::]/48', /unbracketed IPv6 address in a CIDR block/],
    // rules Chromium drops, or keeps although they can never match a URL (same routing)
    ['foo.com:', /a port number/],
    ['foo.com:0', /a port number 1-65535/],
    ['::1', /IPv6 address in brackets/],
    ['[::1', /closed by "\]"/],
    ['[::g]', /a valid IPv6 address/],
    ['[::1]x', /":port" after the IPv6 literal/],
    ['10.0.0.0/33', /a prefix length 0-32/],
    ['::/129', /a prefix length 0-128/],
    ['10.0.0.0/8/8', /a CIDR block ip\/bits/],
    ['foo/8', /an IP address before "\/"/],
    ['HTTP://10.0.0.0/8', /lower-case scheme in a CIDR rule/],
    ['<localhost>', /no other <\.\.\.> keywords/],
    ['foo bar', /a host name pattern of letters/],
    ['müller.de', /punycode/],
    ['1http://x', /a URL scheme/],
  ]
  it.each(dropped)('drops %j with a warning; the other rules stay', (rule, message) => {
    let matches: ReturnType<typeof parseBypassRules> | undefined
    const warnings = warningsOf(() => {
      matches = parseBypassRules(`a.com, ${rule}`)
    })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toMatch(/^ses\.setProxy: ignored bypass rule ".*" in proxyBypassRules: /)
    expect(warnings[0]).toMatch(message)
    expect(matches?.rules).toEqual(['a.com'])
    expect(matches?.(new URL('http://a.com/'))).toBe(true)
  })
  it('rejects only what is not a string', () => {
    expect(() => parseBypassRules(5 as unknown as string)).toThrow(ValidationError)
  })
})

describe('parseProxyConfig: what Electron ignores', () => {
  it('ignores what Electron ignores (gin reads a value of the wrong type as absent), with a warning each', () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ proxyRule: 'x' }, 'DIRECT', /ignored option config\.proxyRule: setProxy reads only mode, pacScript, proxyRules and proxyBypassRules/],
      [{ proxyRules: 5 }, 'DIRECT', /ignored config\.proxyRules number 5: not a string, so Electron reads it as absent/],
      [{ mode: 5, proxyRules: 'p:1' }, 'PROXY p:1', /config\.mode number 5/],
      [{ proxyRules: 'p:1', proxyBypassRules: ['x'] }, 'PROXY p:1', /config\.proxyBypassRules object \["x"\]/],
      // Electron's pac_script with a URL GURL cannot parse: Chromium drops the URL (DIRECT)
      [{ mode: 'pac_script', pacScript: 'not a url' }, 'DIRECT', /not a valid URL: Chromium drops it and connects DIRECT/],
      // options the mode does not use
      [{ mode: 'direct', proxyRules: 'crazy=x' }, 'DIRECT', /config\.proxyRules "crazy=x": mode 'direct' does not use it/],
      [{ proxyRules: '', proxyBypassRules: '<local>' }, 'DIRECT', /config\.proxyBypassRules "<local>": mode 'fixed_servers' does not use it/],
    ]
    for (const [config, expected, warning] of cases) {
      let answer = ''
      const warnings = warningsOf(() => {
        answer = resolveProxyString(parseProxyConfig(config), 'http://example.com/')
      })
      expect(answer, JSON.stringify(config)).toBe(expected)
      expect(warnings.join('\n'), JSON.stringify(config)).toMatch(warning)
    }
    expect(warningsOf(() => parseProxyConfig({ mode: undefined, proxyRules: 'p:1' }))).toEqual([])
    // a pacScript with a scheme Chromium cannot fetch is kept: fetching it fails later (a mandatory PAC failure)
    expect(parseProxyConfig({ pacScript: 'ftp://x/p.pac' })).toEqual({ mode: 'pac_script', pacScript: 'ftp://x/p.pac' })
  })
})
