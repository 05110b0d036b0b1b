#!/usr/bin/env bash
# Everything a fresh clone needs, then every check: lint, import layers, types, build, unit and
# e2e tests against real Chromium. Ends with a line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm build
pnpm lint
pnpm check:imports
# The API reference (docs/api, TypeDoc): no warnings, and what is committed is what the code says.
pnpm --filter cdp-session docs:api
if [ -n "$(git status --porcelain -- docs/api 2>/dev/null)" ]; then
  echo "docs/api is out of date: run 'pnpm --filter cdp-session docs:api' and commit it." >&2
  git status --porcelain -- docs/api | head -20 >&2
  exit 1
fi
pnpm typecheck
mkdir -p .test-results
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile=.test-results/results.json || status=$?
node scripts/summarize-tests.mjs .test-results/results.json || status=1
exit "$status"
