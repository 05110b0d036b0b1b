import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { NotSupportedError, ValidationError } from '../src/common/errors.js'
import { chromiumMatchPattern, matchesImplicitBypassRules, parseBypassRules } from '../src/net/bypass-rules.js'
import { decideProxy, parseProxyConfig, parseProxyRules, resolveProxyString, type ProxyConfigInput } from '../src/net/proxy-config.js'
import { parsePacResult, toPacString, toProxyUri } from '../src/net/proxy-server.js'

/*
 * Sources of the vectors (each vector's comment names one of these and the test in it):
 *   CR_CONFIG  chromium/chromium net/proxy_resolution/proxy_config_unittest.cc
 *   CR_BYPASS  chromium/chromium net/proxy_resolution/proxy_bypass_rules_unittest.cc
 *   CR_URI     chromium/chromium net/base/proxy_string_util_unittest.cc
 *   CR_LIST    chromium/chromium net/proxy_resolution/proxy_list_unittest.cc
 *   CR_PATTERN chromium/chromium base/strings/pattern_unittest.cc
 *   EL_SPEC    electron/electron spec/api-session-spec.ts, describe('ses.setProxy(options)')
 */

interface Vector {
  config: ProxyConfigInput
  url: string
  expected: string
}

function resolve(config: ProxyConfigInput, url: string): string {
  return resolveProxyString(parseProxyConfig(config), url)
}

const vectors: Vector[] = [
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "One HTTP proxy for all schemes"
  { config: { proxyRules: 'myproxy:80' }, url: 'http://example.com/', expected: 'PROXY myproxy:80' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "Multiple HTTP proxies for all schemes"
  { config: { proxyRules: 'myproxy:80,https://myotherproxy' }, url: 'https://example.com/', expected: 'PROXY myproxy:80;HTTPS myotherproxy:443' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "Only specify a proxy server for http:// urls"
  { config: { proxyRules: 'http=myproxy:80' }, url: 'http://example.com/', expected: 'PROXY myproxy:80' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "Only specify a proxy server for http:// urls" (https has no list, no fallback)
  { config: { proxyRules: 'http=myproxy:80' }, url: 'https://example.com/', expected: 'DIRECT' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "HTTP proxy for ftp:// and a SOCKS proxy for https://" (https list)
  { config: { proxyRules: 'ftp=ftp-proxy ; https=socks4://foopy' }, url: 'https://example.com/', expected: 'SOCKS foopy:1080' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "HTTP proxy for ftp:// and a SOCKS proxy for https://" (ftp list)
  { config: { proxyRules: 'ftp=ftp-proxy ; https=socks4://foopy' }, url: 'ftp://example.com/', expected: 'PROXY ftp-proxy:80' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "Include a list of entries for a single scheme"
  { config: { proxyRules: 'ftp=ftp1,ftp2,ftp3' }, url: 'ftp://example.com/', expected: 'PROXY ftp1:80;PROXY ftp2:80;PROXY ftp3:80' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "Include multiple entries for the same scheme -- they accumulate"
  { config: { proxyRules: 'http=http1,http2; http=http3' }, url: 'http://example.com/', expected: 'PROXY http1:80;PROXY http2:80;PROXY http3:80' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "Include lists of entries for multiple schemes" (http)
  { config: { proxyRules: 'ftp=ftp1,ftp2,ftp3 ; http=http1,http2; ' }, url: 'http://example.com/', expected: 'PROXY http1:80;PROXY http2:80' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "Include lists of entries for multiple schemes" (ftp)
  { config: { proxyRules: 'ftp=ftp1,ftp2,ftp3 ; http=http1,http2; ' }, url: 'ftp://example.com/', expected: 'PROXY ftp1:80;PROXY ftp2:80;PROXY ftp3:80' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "Include non-default proxy schemes" (http)
  { config: { proxyRules: 'http=https://secure_proxy; ftp=socks4://socks_proxy; https=socks://foo' }, url: 'http://example.com/', expected: 'HTTPS secure_proxy:443' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "Include non-default proxy schemes" (https: socks:// is SOCKS5)
  { config: { proxyRules: 'http=https://secure_proxy; ftp=socks4://socks_proxy; https=socks://foo' }, url: 'https://example.com/', expected: 'SOCKS5 foo:1080' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "Include non-default proxy schemes" (ftp)
  { config: { proxyRules: 'http=https://secure_proxy; ftp=socks4://socks_proxy; https=socks://foo' }, url: 'ftp://example.com/', expected: 'SOCKS socks_proxy:1080' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "Only SOCKS proxy present, others being blank"
  { config: { proxyRules: 'socks=foopy' }, url: 'http://example.com/', expected: 'SOCKS foopy:1080' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "SOCKS proxy present along with other proxies too" (http)
  { config: { proxyRules: 'http=httpproxy ; https=httpsproxy ; ftp=ftpproxy ; socks=foopy ' }, url: 'http://example.com/', expected: 'PROXY httpproxy:80' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "SOCKS proxy present along with other proxies too" (https)
  { config: { proxyRules: 'http=httpproxy ; https=httpsproxy ; ftp=ftpproxy ; socks=foopy ' }, url: 'https://example.com/', expected: 'PROXY httpsproxy:80' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "SOCKS proxy present along with other proxies too" (ftp)
  { config: { proxyRules: 'http=httpproxy ; https=httpsproxy ; ftp=ftpproxy ; socks=foopy ' }, url: 'ftp://example.com/', expected: 'PROXY ftpproxy:80' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "SOCKS proxy (with modifier) present along with some proxies (FTP being blank)"
  { config: { proxyRules: 'http=httpproxy ; https=httpsproxy ; socks=socks5://foopy ' }, url: 'ftp://example.com/', expected: 'SOCKS5 foopy:1080' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "direct:// as first option for a scheme" (http)
  { config: { proxyRules: 'http=direct://,myhttpproxy; https=direct://' }, url: 'http://example.com/', expected: 'DIRECT;PROXY myhttpproxy:80' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "direct:// as first option for a scheme" (https)
  { config: { proxyRules: 'http=direct://,myhttpproxy; https=direct://' }, url: 'https://example.com/', expected: 'DIRECT' },
  // CR_CONFIG ProxyConfigTest.ParseProxyRules "direct:// as a second option for a scheme"
  { config: { proxyRules: 'http=myhttpproxy,direct://' }, url: 'http://example.com/', expected: 'PROXY myhttpproxy:80;DIRECT' },
  // CR_CONFIG ProxyConfigToValueTest GetTestCaseSingleProxyList
  { config: { proxyRules: 'https://proxy1:8080,http://proxy2,direct://' }, url: 'http://example.com/', expected: 'HTTPS proxy1:8080;PROXY proxy2:80;DIRECT' },
  // CR_CONFIG ProxyConfigToValueTest GetTestCaseProxyPerScheme (http)
  { config: { proxyRules: 'http=https://proxy1:8080;https=socks5://proxy2' }, url: 'http://example.com/', expected: 'HTTPS proxy1:8080' },
  // CR_CONFIG ProxyConfigToValueTest GetTestCaseProxyPerScheme (https)
  { config: { proxyRules: 'http=https://proxy1:8080;https=socks5://proxy2' }, url: 'https://example.com/', expected: 'SOCKS5 proxy2:1080' },
  // CR_CONFIG ProxyConfigTest.ProxyRulesSetBypassFlag (bypassed)
  { config: { proxyRules: 'http=httpproxy:80', proxyBypassRules: '.com' }, url: 'http://example.com', expected: 'DIRECT' },
  // CR_CONFIG ProxyConfigTest.ProxyRulesSetBypassFlag (not bypassed)
  { config: { proxyRules: 'http=httpproxy:80', proxyBypassRules: '.com' }, url: 'http://example.org', expected: 'PROXY httpproxy:80' },
  // CR_CONFIG ProxyConfigWebSocketTest.UsesProxy
  { config: { proxyRules: 'proxy:3128' }, url: 'ws://example.com/echo', expected: 'PROXY proxy:3128' },
  // CR_CONFIG ProxyConfigWebSocketTest.PrefersSocksV4
  { config: { proxyRules: 'http=proxy:3128 ; https=sslproxy:3128 ; socks=socksproxy:1080' }, url: 'ws://example.com/echo', expected: 'SOCKS socksproxy:1080' },
  // CR_CONFIG ProxyConfigWebSocketTest.PrefersSocksV5
  { config: { proxyRules: 'http=proxy:3128 ; https=sslproxy:3128 ; socks=socks5://socksproxy:1080' }, url: 'ws://example.com/echo', expected: 'SOCKS5 socksproxy:1080' },
  // CR_CONFIG ProxyConfigWebSocketTest.PrefersHttpsToHttp
  { config: { proxyRules: 'http=proxy:3128 ; https=sslproxy:3128' }, url: 'wss://example.com/echo', expected: 'PROXY sslproxy:3128' },
  // CR_CONFIG ProxyConfigWebSocketTest.PrefersNonSocksFallbackOverHttps
  { config: { proxyRules: 'http=proxy:3128 ; https=sslproxy:3128; socks=https://httpsproxy' }, url: 'wss://example.com/echo', expected: 'HTTPS httpsproxy:443' },
  // CR_CONFIG ProxyConfigWebSocketTest.UsesNonSocksFallbackProxy
  { config: { proxyRules: 'ftp=ftpproxy:3128; socks=https://httpsproxy' }, url: 'wss://example.com/echo', expected: 'HTTPS httpsproxy:443' },
  // CR_CONFIG ProxyConfigWebSocketTest.PrefersHttpsEvenForWs
  { config: { proxyRules: 'http=proxy:3128 ; https=sslproxy:3128' }, url: 'ws://example.com/echo', expected: 'PROXY sslproxy:3128' },
  // CR_CONFIG ProxyConfigWebSocketTest.PrefersHttpToDirect
  { config: { proxyRules: 'http=proxy:3128' }, url: 'wss://example.com/echo', expected: 'PROXY proxy:3128' },
  // CR_CONFIG ProxyConfigWebSocketTest.IgnoresFtpProxy
  { config: { proxyRules: 'ftp=ftpproxy:3128' }, url: 'wss://example.com/echo', expected: 'DIRECT' },
  // CR_CONFIG ProxyConfigWebSocketTest.ObeysBypassRules
  { config: { proxyRules: 'http=proxy:3128 ; https=sslproxy:3128', proxyBypassRules: '.chromium.org' }, url: 'wss://codereview.chromium.org/feed', expected: 'DIRECT' },
  // CR_CONFIG ProxyConfigWebSocketTest.ObeysLocalBypass
  { config: { proxyRules: 'http=proxy:3128 ; https=sslproxy:3128', proxyBypassRules: '<local>' }, url: 'ws://localhost/feed', expected: 'DIRECT' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer "foopy:10" (no scheme)
  { config: { proxyRules: 'foopy:10' }, url: 'http://example.com/', expected: 'PROXY foopy:10' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer "http://foopy" (no port)
  { config: { proxyRules: 'http://foopy' }, url: 'http://example.com/', expected: 'PROXY foopy:80' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer "http://foopy:10"
  { config: { proxyRules: 'http://foopy:10' }, url: 'http://example.com/', expected: 'PROXY foopy:10' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer IPv6 HTTP proxy, no scheme
  { config: { proxyRules: '[fedc:ba98:7654:3210:fedc:ba98:7654:3210]:10' }, url: 'http://example.com/', expected: 'PROXY [fedc:ba98:7654:3210:fedc:ba98:7654:3210]:10' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer IPv6 HTTP proxy, no port
  { config: { proxyRules: 'http://[3ffe:2a00:100:7031::1]' }, url: 'http://example.com/', expected: 'PROXY [3ffe:2a00:100:7031::1]:80' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer "socks4://foopy" (no port)
  { config: { proxyRules: 'socks4://foopy' }, url: 'http://example.com/', expected: 'SOCKS foopy:1080' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer "socks4://foopy:10"
  { config: { proxyRules: 'socks4://foopy:10' }, url: 'http://example.com/', expected: 'SOCKS foopy:10' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer "socks5://foopy" (no port)
  { config: { proxyRules: 'socks5://foopy' }, url: 'http://example.com/', expected: 'SOCKS5 foopy:1080' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer "socks5://foopy:10"
  { config: { proxyRules: 'socks5://foopy:10' }, url: 'http://example.com/', expected: 'SOCKS5 foopy:10' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer "socks://foopy" (should default to SOCKS5)
  { config: { proxyRules: 'socks://foopy' }, url: 'http://example.com/', expected: 'SOCKS5 foopy:1080' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer "socks://foopy:10"
  { config: { proxyRules: 'socks://foopy:10' }, url: 'http://example.com/', expected: 'SOCKS5 foopy:10' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer "https://foopy" (no port)
  { config: { proxyRules: 'https://foopy' }, url: 'http://example.com/', expected: 'HTTPS foopy:443' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer "https://foopy:10" (non-standard port)
  { config: { proxyRules: 'https://foopy:10' }, url: 'http://example.com/', expected: 'HTTPS foopy:10' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer "https://1.2.3.4:10" (IP address)
  { config: { proxyRules: 'https://1.2.3.4:10' }, url: 'http://example.com/', expected: 'HTTPS 1.2.3.4:10' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer hostname canonicalization: upper-case IPv6
  { config: { proxyRules: '[FEDC:BA98:7654:3210:FEDC:BA98:7654:3210]:10' }, url: 'http://example.com/', expected: 'PROXY [fedc:ba98:7654:3210:fedc:ba98:7654:3210]:10' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer hostname canonicalization: "http://[::192.9.5.5]"
  { config: { proxyRules: 'http://[::192.9.5.5]' }, url: 'http://example.com/', expected: 'PROXY [::c009:505]:80' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer hostname canonicalization: "http://[::FFFF:129.144.52.38]:80"
  { config: { proxyRules: 'http://[::FFFF:129.144.52.38]:80' }, url: 'http://example.com/', expected: 'PROXY [::ffff:8190:3426]:80' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer hostname canonicalization: IDN "http://füpy:85"
  { config: { proxyRules: 'http://f\u00fcpy:85' }, url: 'http://example.com/', expected: 'PROXY xn--fpy-hoa:85' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer hostname canonicalization: "https://0xA.020.3.4:443"
  { config: { proxyRules: 'https://0xA.020.3.4:443' }, url: 'http://example.com/', expected: 'HTTPS 10.16.3.4:443' },
  // CR_URI ProxySpecificationUtilTest.ProxyUriToProxyServer hostname canonicalization: "http://FoO.tEsT:80"
  { config: { proxyRules: 'http://FoO.tEsT:80' }, url: 'http://example.com/', expected: 'PROXY foo.test:80' },
  // CR_URI ProxySpecificationUtilTest.WhitespaceProxyUriToProxyServer "  \tfoopy:80  "
  { config: { proxyRules: '  \tfoopy:80  ' }, url: 'http://example.com/', expected: 'PROXY foopy:80' },
  // CR_URI ProxySpecificationUtilTest.DirectProxyUriToProxyChain "DiReCt://"
  { config: { proxyRules: 'DiReCt://' }, url: 'http://example.com/', expected: 'DIRECT' },
  // EL_SPEC it('allows configuring proxy settings')
  { config: { proxyRules: 'http=myproxy:80' }, url: 'http://example.com/', expected: 'PROXY myproxy:80' },
  // EL_SPEC it('allows removing the implicit bypass rules for localhost')
  { config: { proxyRules: 'http=myproxy:80', proxyBypassRules: '<-loopback>' }, url: 'http://localhost', expected: 'PROXY myproxy:80' },
  // EL_SPEC it('allows bypassing proxy settings')
  { config: { proxyRules: 'http=myproxy:80', proxyBypassRules: '<local>' }, url: 'http://example/', expected: 'DIRECT' },
  // EL_SPEC it('allows configuring proxy settings with mode `direct`')
  { config: { mode: 'direct', proxyRules: 'http=myproxy:80' }, url: 'http://example.com/', expected: 'DIRECT' },
  // EL_SPEC it('allows configuring proxy settings with mode `pac_script`') (no script given)
  { config: { mode: 'pac_script' }, url: 'http://example.com/', expected: 'DIRECT' },
  // EL_SPEC it('allows configuring proxy settings with mode `fixed_servers`')
  { config: { mode: 'fixed_servers', proxyRules: 'http=myproxy:80' }, url: 'http://example.com/', expected: 'PROXY myproxy:80' },
  // CR_BYPASS ProxyBypassRulesTest.DefaultImplicitRules: localhost bypasses without any rule
  { config: { proxyRules: 'myproxy:80' }, url: 'http://localhost/', expected: 'DIRECT' },
  // CR_BYPASS ProxyBypassRulesTest.DefaultImplicitRules: 127.100.0.2 bypasses without any rule
  { config: { proxyRules: 'myproxy:80' }, url: 'http://127.100.0.2/', expected: 'DIRECT' },
  // CR_BYPASS ProxyBypassRulesTest.DefaultImplicitRules: link-local [FE80::8] bypasses
  { config: { proxyRules: 'myproxy:80' }, url: 'http://[FE80::8]/', expected: 'DIRECT' },
  // CR_BYPASS ProxyBypassRulesTest.DefaultImplicitRules: 192.168.0.1 is not bypassed
  { config: { proxyRules: 'myproxy:80' }, url: 'http://192.168.0.1/', expected: 'PROXY myproxy:80' },
  // CR_BYPASS ProxyBypassRulesTest.NegativeWinLoopback: <-loopback> proxies 127.0.0.1
  { config: { proxyRules: 'myproxy:80', proxyBypassRules: 'www.example.com;<-loopback>' }, url: 'http://127.0.0.1/', expected: 'PROXY myproxy:80' },
  // CR_BYPASS ProxyBypassRulesTest.NegativeWinLoopback: www.example.com still bypassed
  { config: { proxyRules: 'myproxy:80', proxyBypassRules: 'www.example.com;<-loopback>' }, url: 'http://www.example.com/', expected: 'DIRECT' },
  // CR_BYPASS ProxyBypassRulesTest.AddLocalhostThenRemoveImplicit: the later <-loopback> wins over "localhost"
  { config: { proxyRules: 'myproxy:80', proxyBypassRules: 'localhost; <-loopback>' }, url: 'http://localhost/', expected: 'PROXY myproxy:80' },
  // CR_BYPASS ProxyBypassRulesTest.RemoveImplicitAndAddLocalhost: the later "localhost" wins
  { config: { proxyRules: 'myproxy:80', proxyBypassRules: '<-loopback>; localhost' }, url: 'http://localhost/', expected: 'DIRECT' },
]

describe('resolveProxy vectors (Chromium unit tests and Electron spec)', () => {
  it(`has at least 40 vectors (${vectors.length})`, () => {
    expect(vectors.length).toBeGreaterThanOrEqual(40)
  })
  it.each(vectors.map((v) => [JSON.stringify(v.config), v.url, v.expected] as const))('%s → %s → %s', (config, url, expected) => {
    expect(resolve(JSON.parse(config) as ProxyConfigInput, url)).toBe(expected)
  })
})
