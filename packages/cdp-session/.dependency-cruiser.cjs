// The shape of src/ (docs/architecture.md), checked by `pnpm check:imports`
// in CI: no import cycles at all (type-only imports count too), and imports only go down the
// layers (testing/, interop/ →) electron/ → cdp/, net/ → common/; inside electron/, features → core/.
const SRC = '^src/'

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'An import cycle, type-only imports included: move the shared part down a layer.',
      from: { path: SRC },
      to: { circular: true },
    },
    {
      name: 'common-imports-nothing-above',
      severity: 'error',
      comment: 'common/ holds errors, events, URL patterns and pure rules: it imports no other layer.',
      from: { path: `${SRC}common/` },
      to: { path: `${SRC}(cdp|net|electron)/|${SRC}index\\.ts$` },
    },
    {
      name: 'cdp-imports-only-common',
      severity: 'error',
      comment: 'cdp/ (connection, targets, interception) knows no gateway and no public class.',
      from: { path: `${SRC}cdp/` },
      to: { path: `${SRC}(net|electron)/|${SRC}index\\.ts$` },
    },
    {
      name: 'net-imports-only-common',
      severity: 'error',
      comment: 'net/ (the session gateway) knows no CDP and no public class.',
      from: { path: `${SRC}net/` },
      to: { path: `${SRC}(cdp|electron)/|${SRC}index\\.ts$` },
    },
    {
      name: 'core-imports-no-feature',
      severity: 'error',
      comment: 'electron/core/ is what every feature needs; it imports no feature and no public class.',
      from: { path: `${SRC}electron/core/` },
      to: { path: `${SRC}electron/`, pathNot: `${SRC}electron/core/` },
    },
    {
      name: 'features-do-not-import-the-facade',
      severity: 'error',
      comment: 'Features get the session core; only browser.ts builds Sessions, and only index.ts exports.',
      from: { path: `${SRC}electron/`, pathNot: `${SRC}electron/(browser|session)\\.ts$` },
      to: { path: `${SRC}electron/(browser|session)\\.ts$` },
    },
    {
      name: 'session-does-not-import-browser',
      severity: 'error',
      from: { path: `${SRC}electron/session\\.ts$` },
      to: { path: `${SRC}electron/browser\\.ts$` },
    },
    {
      name: 'only-entry-points-import-the-index',
      severity: 'error',
      comment: 'index.ts is the public API; only the other entry points (testing/, interop/) build on it.',
      from: { path: SRC, pathNot: `${SRC}(index\\.ts$|testing/|interop/)` },
      to: { path: `${SRC}index\\.ts$` },
    },
    {
      name: 'the-library-does-not-import-its-entry-points',
      severity: 'error',
      comment: 'testing/ (fixtures) and interop/ (Puppeteer) sit above the library; nothing below imports them.',
      from: { path: `${SRC}(common|cdp|net|electron)/` },
      to: { path: `${SRC}(testing|interop)/` },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: SRC,
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
  },
}
