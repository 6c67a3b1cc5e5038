#!/usr/bin/env bash
# Install axe-core (the accessibility rules engine used by tests/browser/test_accessibility.py)
# from the npm registry into .venv/axe/, at a pinned version. Idempotent: does nothing when
# that version is already there. Needs Node.js and npm (Debian: nodejs, npm).
#
#   scripts/fetch-axe.sh            -> .venv/axe/node_modules/axe-core/axe.min.js
#
# Bump AXE_VERSION here and in docs/accessibility.md together.
set -euo pipefail

AXE_VERSION="4.10.3"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PREFIX="$ROOT/.venv/axe"
PACKAGE_JSON="$PREFIX/node_modules/axe-core/package.json"

installed_version() {
  [ -f "$PACKAGE_JSON" ] || return 0
  sed -n 's/^  "version": "\(.*\)",$/\1/p' "$PACKAGE_JSON" | head -n 1
}

if [ "$(installed_version)" = "$AXE_VERSION" ] && [ -f "$PREFIX/node_modules/axe-core/axe.min.js" ]; then
  exit 0
fi

if ! command -v npm >/dev/null 2>&1; then
  echo "npm がありません / npm is missing: install it (sudo apt-get install -y npm) and run $0 again" >&2
  exit 1
fi

echo "==> axe-core@$AXE_VERSION -> ${PREFIX#"$ROOT"/}"
mkdir -p "$PREFIX"
npm install --prefix "$PREFIX" "axe-core@$AXE_VERSION" --no-audit --no-fund --no-save --silent
if [ "$(installed_version)" != "$AXE_VERSION" ]; then
  echo "axe-core $AXE_VERSION was not installed under $PREFIX" >&2
  exit 1
fi
