#!/usr/bin/env bash
# Runs every test of liveroom on a fresh Debian machine with Go installed:
# installs what the tests need (Chromium from apt, npm packages with npm ci,
# Go modules), checks formatting, vet and the committed web bundle, runs the
# Go tests with the race detector (fuzz seeds included), then the browser
# tests against the real binary.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n== %s\n' "$*"; }

step "system packages"
# Chromium for the browser tests; the emoji font so screenshots show the
# reaction buttons as users see them.
if ! command -v chromium >/dev/null 2>&1 || ! dpkg -s fonts-noto-color-emoji >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji
  else
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji
  fi
fi
chromium --version

step "Go modules"
go version
go mod download
go mod verify
# The load tool's tests build the centrifuge benchmark peer (its own module).
(cd bench/peers/centrifuge && go mod download)

step "npm packages"
(cd web && npm ci --no-audit --no-fund)
(cd e2e && npm ci --no-audit --no-fund)
# The load tool's tests drive the Socket.IO benchmark peer.
(cd bench/peers/socketio && npm ci --no-audit --no-fund)

step "format, vet, web bundle"
unformatted=$(gofmt -l $(git ls-files '*.go'))
if [ -n "$unformatted" ]; then
  echo "gofmt would change:"; echo "$unformatted"; exit 1
fi
go vet ./...
(cd web && npm run --silent typecheck && npm run --silent check)

step "Go tests (race detector)"
go test -race -count=1 -timeout 20m ./...

step "browser tests"
(cd e2e && npm test)

echo
echo "all tests passed"
