#!/usr/bin/env bash
# The project's test command (README, CI): installs the DNS peers the tests
# talk to when they are missing, then runs format check, clippy and the test
# suite. Meant for a fresh Debian 12 machine as root; on a developer machine
# that already has everything it only runs the cargo steps.
#
# Env: SKIP_INSTALL=1  never touch packages (fails later if a peer is missing)
#      TEST_THREADS    parallel test threads (default 2: the CI machine has 2 cores)
set -euo pipefail
cd "$(dirname "$(readlink -f "$0")")/.."

PACKAGES=(knot knot-dnsutils knot-dnssecutils nsd bind9 bind9-utils bind9-dnsutils
          dnsperf ldnsutils python3 python3-pip time curl jq openssl
          unbound)   # unbound: validating resolver for tests/e2e_dnssec_answers.rs
# Provider sync peers: PowerDNS with its sqlite backend and HTTP API.
PACKAGES+=(pdns-server pdns-backend-sqlite3 sqlite3)

log() { printf '\n==> %s (%s)\n' "$*" "$(date -u +%H:%M:%S)"; }

missing_packages() {
  local p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || echo "$p"
  done
}

# Debian starts a daemon right after installing it unless policy-rc.d says no
# (exit 101). knot, nsd and named would then bind 0.0.0.0:53; our tests only
# ever run servers on loopback that they start and stop themselves.
forbid_service_start() {
  local f=/usr/sbin/policy-rc.d rc=0
  if [ -x "$f" ]; then "$f" >/dev/null 2>&1 || rc=$?; fi
  if [ "$rc" -ne 101 ]; then
    [ -e "$f" ] && cp -p "$f" "$f.before-polyzone"
    printf '#!/bin/sh\n# polyzone CI: never start services from package installs\nexit 101\n' >"$f"
    chmod 755 "$f"
  fi
}

install_peers() {
  local missing
  missing=$(missing_packages)
  [ -z "$missing" ] && { echo "all test packages present"; return; }
  if ! command -v apt-get >/dev/null; then
    echo "missing packages and no apt-get: $missing" >&2; exit 1
  fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "missing packages (run as root to install): $missing" >&2; exit 1
  fi
  echo "installing:" $missing
  forbid_service_start
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${PACKAGES[@]}"
}

ensure_rust_components() {
  # rustup installs into ~/.cargo/bin, which a non-login CI shell may lack
  if ! command -v cargo >/dev/null && [ -x "${HOME:-/root}/.cargo/bin/cargo" ]; then
    export PATH="${HOME:-/root}/.cargo/bin:$PATH"
  fi
  command -v cargo >/dev/null || { echo "cargo not found: install Rust (rustup)" >&2; exit 1; }
  if ! cargo fmt --version >/dev/null 2>&1 || ! cargo clippy --version >/dev/null 2>&1; then
    command -v rustup >/dev/null && rustup component add rustfmt clippy
  fi
}

start=$(date +%s)
if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  log "peers and tools"
  install_peers
  # schemathesis checks the control API against its OpenAPI document (below).
  # (Debian's own python3 refuses plain pip installs: PEP 668.)
  command -v schemathesis >/dev/null || python3 -m pip install -q schemathesis \
    || python3 -m pip install -q --break-system-packages schemathesis
fi
ensure_rust_components
# Route 53 emulator for the sync tests (PyPI; Debian's python may need --break-system-packages).
if [ "${SKIP_INSTALL:-0}" != 1 ] && ! command -v moto_server >/dev/null; then
  log "moto_server"
  python3 -m pip install -q 'moto[server]' || python3 -m pip install -q --break-system-packages 'moto[server]'
fi

log "cargo fmt --check"
cargo fmt --all -- --check

log "cargo clippy"
cargo clippy --all-targets -- -D warnings

log "cargo test --release"
# Unit, property and end-to-end tests (the crate has no doc tests to run).
out=$(mktemp)
trap 'rm -f "$out"' EXIT
cargo test --release --lib --bins --tests -- --test-threads="${TEST_THREADS:-2}" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
passed=$(grep -E '^test result:' "$out" | sed -E 's/.* ([0-9]+) passed.*/\1/' | awk '{s+=$1} END {print s+0}')
failed=$(grep -E '^test result:' "$out" | sed -E 's/.* ([0-9]+) failed.*/\1/' | awk '{s+=$1} END {print s+0}')
[ "$status" -eq 0 ] || { echo "${passed:-0} passed, ${failed:-0} failed"; exit "$status"; }

log "schemathesis against the control API's OpenAPI document"
bash scripts/api-schemathesis.sh target/release/polyzone

log "all green in $(( $(date +%s) - start )) s"
echo "${passed:-0} passed, ${failed:-0} failed"
