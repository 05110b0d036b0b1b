#!/usr/bin/env bash
# Everything a fresh clone needs, then every check: lint, import layers, types, build, unit and
# e2e tests against real Chromium. Ends with a line "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm build
pnpm lint
pnpm check:imports
pnpm typecheck
mkdir -p .test-results
status=0
pnpm exec vitest run --reporter=default --reporter=json --outputFile=.test-results/results.json || status=$?
node scripts/summarize-tests.mjs .test-results/results.json || status=1
exit "$status"
