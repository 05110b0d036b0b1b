#!/usr/bin/env bash
# Installs what a fresh machine with only Node and npm lacks: Chromium from the
# OS packages (never a downloaded browser), pnpm, and the workspace's packages.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${CHROME_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1 && ! command -v google-chrome >/dev/null 2>&1 && ! command -v chromium-browser >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "setup: installing Chromium from the OS packages"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: no Chrome/Chromium found. Install it (e.g. 'sudo apt-get install chromium') or set CHROME_PATH." >&2
    exit 1
  fi
fi

if ! command -v pnpm >/dev/null 2>&1; then
  echo "setup: installing pnpm"
  npm install -g pnpm@10 >/dev/null
fi

pnpm install --frozen-lockfile
