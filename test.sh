#!/usr/bin/env bash
# Runs every test of liveroom on a fresh Debian machine with Go installed:
# installs what the tests need (Chromium, and Node.js with npm when missing,
# from apt; npm packages with npm ci; Go modules), checks formatting, vet and the committed web bundle, runs the
# Go tests with the race detector (fuzz seeds included), then the browser
# tests against the real binary.
set -euo pipefail
cd "$(dirname "$0")"

step() { printf '\n== %s\n' "$*"; }

step "system packages"
# Chromium for the browser tests; the emoji font so screenshots show the
# reaction buttons as users see them; Node.js and npm (web bundle, browser
# tests, the Socket.IO peer) unless the machine has them already.
packages=()
command -v chromium >/dev/null 2>&1 || packages+=(chromium)
dpkg -s fonts-noto-color-emoji >/dev/null 2>&1 || packages+=(fonts-noto-color-emoji)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}"
fi
chromium --version
node --version

step "Go modules"
go version
go mod download
go mod verify
# The benchmark peers and the WebSocket library comparison are modules of
# their own (the product never imports them); the load tool's tests build
# the centrifuge peer.
for module in bench/peers/centrifuge bench/peers/ceiling bench/wslib; do
  (cd "$module" && go mod download)
done

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
# The server builds off Linux too (the socket loops' portable build).
GOOS=darwin go vet ./cmd/liveroom ./internal/netpoll ./internal/transport/...
GOOS=windows go vet ./internal/netpoll
for module in bench/peers/centrifuge bench/peers/ceiling bench/wslib; do
  (cd "$module" && go vet ./...)
done
(cd web && npm run --silent typecheck && npm run --silent check)

step "Go tests (race detector)"
go test -race -count=1 -timeout 20m ./...
for module in bench/peers/centrifuge bench/peers/ceiling; do
  (cd "$module" && go test -race -count=1 -timeout 5m ./...)
done

step "Socket.IO peer tests"
(cd bench/peers/socketio && npm test)

step "browser tests"
(cd e2e && npm test)

echo
echo "all tests passed"
