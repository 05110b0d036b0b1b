#!/usr/bin/env bash
# Set-up on a fresh machine, then the quickstart demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
pnpm demo
