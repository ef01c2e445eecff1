#!/usr/bin/env bash
# sign.sh [N] - DNSSEC signing benchmark, polyzone beside the offline signers
# in one run, on the same N-record zone (default 1,000,000; the zone of
# ../shared/tools/bench_sign.sh), ECDSAP256SHA256 KSK+ZSK, NSEC:
#   1. peers: dnssec-signzone -P and ldns-signzone (PEERS="bindP ldns", add
#      "knot" for kzonesign) via ../shared/tools/bench_sign.sh
#   2. polyzone: `serve` on the zone with a policy; the first full signing
#      pass (parallel on all cores) is committed as one diff. Reported: the
#      signing step alone (seal), the whole pass (seal + journal write +
#      publish), and start-to-signed wall time (load included), peak RSS.
#      Also its CPU time (user+sys) up to then: the figure to compare with
#      the peers' user_s+sys_s when other work shares the machine.
#   Also: examples/sign_floor, the signatures per second of the ECDSA
#   library on this machine (one thread, all cores): a pass of S
#   signatures cannot take less than S divided by the all-core rate.
#   3. polyzone: UPD single-record updates through nsupdate, one at a time;
#      the time of the signing step of each (incremental re-sign, NSEC chain
#      repair included): median, mean, max.
# PEERS=none skips the peers (same zone file, made if missing).
# Needs a release build (cargo build --release). Loopback only.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TOOLS=${SHARED_TOOLS:-$ROOT/../shared/tools}
N=${1:-1000000}; UPD=${UPD:-200}; PEERS=${PEERS:-bindP ldns}
LAB=${LAB:-${TMPDIR:-/tmp}/dnslab}
BIN=$ROOT/target/release/polyzone
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 1; }
ZF=$LAB/zones/bench$N.zone
if [ "$PEERS" != none ]; then
  echo "== peers (N=$N)"
  "$TOOLS/bench_sign.sh" "$N" $PEERS
fi
[ -s "$ZF" ] || "$TOOLS/gen_zone.py" -n "$N" -z bench.test -o "$ZF" 2>/dev/null
D=$(mktemp -d "${TMPDIR:-/tmp}/polyzone-sign.XXXXXX")
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$D"; }
trap cleanup EXIT
mkdir -p "$D/keys" "$D/data"
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
P=$(port); A=$(port)
SECRET=$(head -c 32 /dev/urandom | base64)
cat >"$D/polyzone.toml" <<CONF
[server]
listen = ["127.0.0.1:$P"]
api_listen = "127.0.0.1:$A"
data_dir = "data"
keys_dir = "keys"
[[tsig]]
name = "k"
secret = "$SECRET"
[[policy]]
name = "bench"
algorithm = "ecdsap256sha256"
denial = "nsec"
[[zone]]
name = "bench.test"
file = "$ZF"
update = ["k"]
dnssec = "bench"
CONF
echo "== ECDSA P-256 signatures/s with polyzone's crypto library (the floor of a full pass)"
FLOOR=$ROOT/target/release/examples/sign_floor
[ -x "$FLOOR" ] || (cd "$ROOT" && cargo build --release --example sign_floor)
"$FLOOR" 20000
echo "== polyzone full sign"
T0=$(date +%s.%N)
POLYZONE_LOG="info,polyzone::dnssec=debug" "$BIN" --log-format json serve --config "$D/polyzone.toml" 2>"$D/log" &
PID=$!
until grep -q "signing pass committed" "$D/log"; do
  kill -0 "$PID" 2>/dev/null || { tail "$D/log"; exit 1; }
  sleep 0.2
done
T1=$(date +%s.%N)
SEAL_US=$(grep '"sealed"' "$D/log" | grep '"scope":"Full"' | head -1 | grep -o '"micros":[0-9]*' | cut -d: -f2)
PASS_MS=$(grep 'signing pass committed' "$D/log" | head -1 | grep -o '"ms":[0-9]*' | cut -d: -f2)
RSS=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$PID/status)
CPU=$(awk -v hz="$(getconf CLK_TCK)" '{printf "%.1f", ($14 + $15) / hz}' /proc/$PID/stat)
printf '%-28s %10s\n' "signing step (s)" "$(echo "scale=2; $SEAL_US/1000000" | bc)"
printf '%-28s %10s\n' "whole pass incl. journal (s)" "$(echo "scale=2; $PASS_MS/1000" | bc)"
printf '%-28s %10s\n' "start to signed (s)" "$(echo "$T1 - $T0" | bc)"
printf '%-28s %10s\n' "CPU user+sys to signed (s)" "$CPU"
printf '%-28s %10s\n' "peak RSS (MB)" "$RSS"
echo "== polyzone incremental sign, $UPD updates one at a time"
for i in $(seq 1 "$UPD"); do
  printf 'server 127.0.0.1 %s\nzone bench.test.\nupdate add upd%s.bench.test. 300 IN A 192.0.2.%s\nsend\n' "$P" "$i" $((i % 250 + 1)) \
    | nsupdate -y "hmac-sha256:k:$SECRET" -t 10
done
printf '%-28s %10s\n' "RSS after updates (MB)" "$(awk '/VmRSS/ {print int($2/1024)}' /proc/$PID/status)"
grep '"sealed"' "$D/log" | grep '"scope":"Incremental"' | grep -o '"micros":[0-9]*' | cut -d: -f2 | sort -n | awk '
  {v[NR]=$1; s+=$1} END {printf "%-28s %10d\n%-28s %10.0f\n%-28s %10d\n%-28s %10d\n", "updates signed", NR, "mean (us)", s/NR, "median (us)", v[int((NR+1)/2)], "max (us)", v[NR]}'
