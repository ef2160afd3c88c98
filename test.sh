#!/usr/bin/env bash
# Runs FlameKit's tests on a fresh machine: installs what they call (go tool pprof, Debian's chromium,
# the pinned speedscope app and ajv from npm, the pinned dotnet-trace) when missing, then runs `dotnet test`.
# Extra arguments go to `dotnet test` (.ci/run adds a TRX logger to count the results).
set -uo pipefail
cd "$(dirname "$0")"
ROOT=$PWD

log() { echo "[test] $*"; }

# --- tools the tests call ---------------------------------------------------------------------
# go tool pprof: the pprof round-trip oracle.  chromium: the SVG browser test and the speedscope app
# conformance tests (Playwright drives it).
need_apt=()
command -v go >/dev/null 2>&1 || need_apt+=(golang-go)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing ${need_apt[*]}"
  export DEBIAN_FRONTEND=noninteractive
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq || { log "apt-get update failed"; exit 1; }
  $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null || { log "apt-get install failed"; exit 1; }
fi
log "go: $(go version 2>&1)"
log "chromium: $(chromium --version 2>/dev/null | tail -1)"  # Debian's wrapper prints a shell warning on stderr first

# --- the real speedscope app and ajv (tests/speedscope-app, pinned in its package-lock.json) -----
# The speedscope conformance and schema tests fail without them, so CI fails here first and says why.
command -v node >/dev/null 2>&1 || { log "node is missing (the speedscope conformance tests need node and npm)"; exit 1; }
command -v npm >/dev/null 2>&1 || { log "npm is missing (the speedscope conformance tests need node and npm)"; exit 1; }
log "node: $(node --version), npm: $(npm --version 2>/dev/null)"
log "npm ci in tests/speedscope-app"
(cd "$ROOT/tests/speedscope-app" && npm ci --no-audit --no-fund) || { log "npm ci in tests/speedscope-app failed"; exit 1; }

# --- dotnet-trace (pinned): the .nettrace conformance tests compare FlameKit with `dotnet-trace convert`
# and record a fresh trace with `dotnet-trace collect`; they fail without it.
DOTNET_TRACE_VERSION=10.0.750501
if [ ! -x "$ROOT/tests/.tools/dotnet-trace" ]; then
  log "installing dotnet-trace $DOTNET_TRACE_VERSION into tests/.tools"
  dotnet tool install --tool-path "$ROOT/tests/.tools" dotnet-trace --version "$DOTNET_TRACE_VERSION" >/dev/null \
    || { log "dotnet tool install dotnet-trace failed"; exit 1; }
fi
log "dotnet-trace: $("$ROOT/tests/.tools/dotnet-trace" --version 2>&1 | head -1)"

log "dotnet test FlameKit.sln -c Release $*"
exec dotnet test FlameKit.sln -c Release "$@"
