#!/usr/bin/env bash
# api.sh - control API write benchmark: K single-RRset PATCHes one after
# another over one keep-alive connection (scripts/bench/api_client.py), each
# answered only once durable, against polyzone and PowerDNS's REST API
# (gsqlite3 backend) on the same zone, in one run. Reports the rate
# (PATCHes/s) and the p50/p99/max round trip. Targets (issue 7): polyzone
# >= 1,000/s, p99 < 10 ms.
#
# Env: K (1000), N (1000: records in the zone), ROUNDS (3: each server runs
#      K PATCHes ROUNDS times, alternating, the median round is reported),
#      SERVERS ("polyzone pdns"), POLYZONE (target/release/polyzone, built
#      if missing), SHARED_TOOLS (../shared/tools: dnspeer.sh starts pdns),
#      BENCH_OUT (target/bench).
# Everything listens on 127.0.0.1 and is stopped by PID at exit.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
K=${K:-1000}
N=${N:-1000}
ROUNDS=${ROUNDS:-3}
SERVERS=${SERVERS:-polyzone pdns}
POLYZONE=${POLYZONE:-$ROOT/target/release/polyzone}
SHARED_TOOLS=${SHARED_TOOLS:-$ROOT/../shared/tools}
OUT=${BENCH_OUT:-$ROOT/target/bench}
CLIENT="python3 $ROOT/scripts/bench/api_client.py"
[ -x "$POLYZONE" ] || (cd "$ROOT" && cargo build --release)

work=$(mktemp -d)
pz_pid=
cleanup() {
  [ -n "$pz_pid" ] && kill "$pz_pid" 2>/dev/null && wait "$pz_pid" 2>/dev/null || true
  if [[ " $SERVERS " == *" pdns "* ]] && [ -x "$SHARED_TOOLS/dnspeer.sh" ]; then
    LAB=$work/lab "$SHARED_TOOLS/dnspeer.sh" stop pdns "$pdns_port" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

zone="$work/bench.test.zone"
python3 - "$N" >"$zone" <<'PY'
import sys
n = int(sys.argv[1])
print("$ORIGIN bench.test.\n$TTL 3600")
print("@ IN SOA ns1.bench.test. hostmaster.bench.test. 1 7200 3600 1209600 300")
print("@ IN NS ns1.bench.test.\nns1 IN A 192.0.2.1")
for i in range(n):
    print(f"h{i} IN A 198.51.{i >> 8 & 255}.{i & 255}")
PY

# The disk's fsync latency right now: every durable PATCH pays one, so it
# bounds the sequential rate (a busy shared disk shows here first).
fsync_probe() {
  python3 - "$work" <<'PY'
import os, sys, time
f = os.open(os.path.join(sys.argv[1], "fsync.probe"), os.O_WRONLY | os.O_CREAT)
lat = []
for _ in range(200):
    os.write(f, b"x" * 512)
    t = time.perf_counter()
    os.fsync(f)
    lat.append(time.perf_counter() - t)
lat.sort()
print(f"fsync of the bench disk: p50 {lat[100] * 1e3:.2f} ms, p99 {lat[197] * 1e3:.2f} ms")
PY
}
fsync_probe

declare -A RESULT
median_round() { sort -n -k3 | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }

start_polyzone() {
  local d=$work/polyzone dns api
  mkdir -p "$d/zones"; cp "$zone" "$d/zones/"
  dns=$(free_port); api=$(free_port)
  printf '[server]\nlisten = ["127.0.0.1:%s"]\napi_listen = "127.0.0.1:%s"\ndata_dir = "data"\n\n[[zone]]\nname = "bench.test"\nfile = "zones/bench.test.zone"\n' \
    "$dns" "$api" >"$d/polyzone.toml"
  "$POLYZONE" serve --config "$d/polyzone.toml" 2>"$d/server.log" &
  pz_pid=$!
  for _ in $(seq 200); do
    [ -s "$d/data/control.token" ] && curl -fsS "http://127.0.0.1:$api/api/v1/health" >/dev/null 2>&1 && break
    sleep 0.05
  done
  PZ_ADDR=127.0.0.1:$api; PZ_TOKEN=$(cat "$d/data/control.token")
}

start_pdns() {
  pdns_port=$(free_port); PDNS_API_PORT=$(free_port)
  export PDNS_API_PORT PDNS_API_KEY=bench-key
  LAB=$work/lab "$SHARED_TOOLS/dnspeer.sh" start pdns bench.test "$zone" "$pdns_port" >/dev/null
  PDNS_ADDR=127.0.0.1:$PDNS_API_PORT
}

for s in $SERVERS; do
  case $s in
    polyzone) start_polyzone ;;
    pdns) command -v pdns_server >/dev/null || { echo "pdns_server missing: skipping pdns" >&2; SERVERS=${SERVERS/pdns/}; continue; }
          start_pdns ;;
  esac
done

for r in $(seq "$ROUNDS"); do
  for s in $SERVERS; do
    case $s in
      # distinct names per round: every PATCH really changes the zone
      polyzone) line=$($CLIENT polyzone "$PZ_ADDR" "$PZ_TOKEN" bench.test "$K" "r$r") ;;
      pdns) line=$($CLIENT pdns "$PDNS_ADDR" bench-key bench.test "$K" "r$r") ;;
    esac
    RESULT[$s]+="$line"$'\n'
    echo "round $r $s: $line" >&2
  done
done

mkdir -p "$OUT"
printf '\n%-10s %8s %10s %9s %9s %9s %7s\n' server PATCHes rate_per_s p50_ms p99_ms max_ms errors
for s in $SERVERS; do
  read -r count _secs rate p50 p99 max errors < <(printf '%s' "${RESULT[$s]}" | median_round)
  printf '%-10s %8s %10s %9s %9s %9s %7s\n' "$s" "$count" "$rate" "$p50" "$p99" "$max" "$errors"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$s" "$count" "$rate" "$p50" "$p99" "$max" "$errors" >>"$OUT/api.tsv"
done
echo "(median of $ROUNDS rounds by rate; zone of $N records; rows appended to $OUT/api.tsv)"
fsync_probe
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) cores"
