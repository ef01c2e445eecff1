#!/usr/bin/env bash
# sync_fanout.sh [TARGETS] [UPDATES] - fan-out latency: one zone pushed to
# TARGETS (default 50) PowerDNS-API targets, each behind a fake that adds
# DELAY_MS (default 50) to every request (scripts/bench/fake_pdns.py). For
# each of UPDATES (default 30) single-record nsupdates: the time from the
# update (taken before nsupdate starts: an upper bound) to the moment the last of the
# targets had the record (the fake's own receipt time). Prints p50, p90,
# p99 and max. Issue target: p50 < 300 ms, p99 < 1 s.
# Env: PORT (5480: polyzone DNS, +1 API, +2 the fake), DELAY_MS,
#      POLYZONE (target/release/polyzone), BENCH_OUT (target/bench).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
TARGETS=${1:-50}
UPDATES=${2:-30}
PORT=${PORT:-5480}
DELAY_MS=${DELAY_MS:-50}
POLYZONE=${POLYZONE:-$ROOT/target/release/polyzone}
OUT=${BENCH_OUT:-$ROOT/target/bench}
FAKE=$((PORT + 2))
TSIG=c3luYy1mYW5vdXQtc2VjcmV0LTAxMjM0NTY3ODlhYg==
Z=fanout.test
[ -x "$POLYZONE" ] || (cd "$ROOT" && cargo build --release)
D=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$D"; }
trap cleanup EXIT
mkdir -p "$D/zones" "$OUT"
python3 "$ROOT/scripts/bench/fake_pdns.py" $FAKE "$DELAY_MS" &
PIDS+=($!)
cat >"$D/zones/$Z.zone" <<ZONE
\$ORIGIN $Z.
\$TTL 300
@ IN SOA ns1 hostmaster 1 7200 3600 1209600 300
@ NS ns1
ns1 A 127.0.0.1
www A 192.0.2.1
ZONE
{
  printf '[server]\nlisten = ["127.0.0.1:%s"]\napi_listen = "127.0.0.1:%s"\ndata_dir = "data"\n' $PORT $((PORT + 1))
  printf '[[tsig]]\nname = "k"\nsecret = "%s"\n' $TSIG
  printf '[[zone]]\nname = "%s"\nfile = "zones/%s.zone"\nupdate = ["k"]\ntargets = [' $Z $Z
  for i in $(seq "$TARGETS"); do printf '"t%s"%s' "$i" "$([ "$i" -lt "$TARGETS" ] && echo ,)"; done
  printf ']\n'
  for i in $(seq "$TARGETS"); do
    printf '[[target]]\nname = "t%s"\nkind = "powerdns"\nurl = "http://127.0.0.1:%s"\nserver_id = "s%s"\napi_key_file = "key"\n' "$i" $FAKE "$i"
  done
} >"$D/polyzone.toml"
printf 'unused' >"$D/key"
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$FAKE/times?name=x" >/dev/null && break; sleep 0.05; done
(cd "$D" && exec "$POLYZONE" serve --config polyzone.toml 2>"$D/log") &
PIDS+=($!)
count() { curl -sf "http://127.0.0.1:$FAKE/times?name=$1" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["count"], d["last"])'; }
# Wait for the initial push to every target.
for _ in $(seq 600); do [ "$(count www.$Z. | cut -d' ' -f1)" = "$TARGETS" ] && break; sleep 0.05; done
[ "$(count www.$Z. | cut -d' ' -f1)" = "$TARGETS" ] || { echo "initial push incomplete" >&2; tail "$D/log" >&2; exit 1; }
LAT=()
for u in $(seq "$UPDATES"); do
  # Timed from before nsupdate starts (an upper bound: it includes
  # nsupdate's own start-up and the update's round trip).
  acked=$(date +%s.%N)
  printf 'server 127.0.0.1 %s\nzone %s.\nupdate add u%s.%s. 60 A 203.0.113.%s\nsend\n' $PORT $Z "$u" $Z $((u % 250)) \
    | nsupdate -y hmac-sha256:k:$TSIG
  for _ in $(seq 1000); do
    read -r n last < <(count "u$u.$Z.")
    [ "$n" = "$TARGETS" ] && break
    sleep 0.01
  done
  [ "$n" = "$TARGETS" ] || { echo "update $u reached $n of $TARGETS targets" >&2; exit 1; }
  LAT+=("$(echo "($last - $acked) * 1000" | bc -l)")
  sleep 0.2
done
printf '%s\n' "${LAT[@]}" | sort -g | awk -v t="$TARGETS" -v d="$DELAY_MS" -v n="$UPDATES" '
  {a[NR]=$1}
  END {
    printf "# fan-out: %d targets, +%d ms per request, %d updates; ms from nsupdate start to all targets\n", t, d, n
    printf "p50\t%.0f\np90\t%.0f\np99\t%.0f\nmax\t%.0f\n", a[int((NR+1)*0.5)], a[int(NR*0.9+0.5)], a[(NR>=100)?int(NR*0.99+0.5):NR], a[NR]
  }' | tee "$OUT/sync_fanout_$TARGETS.tsv"
