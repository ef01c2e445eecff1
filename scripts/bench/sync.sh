#!/usr/bin/env bash
# sync.sh [N] - provider sync benchmark: polyzone beside octoDNS
# (octodns + octodns-powerdns + octodns-bind from PyPI) pushing the same
# N-record zone (default 10000, scripts/bench/gen_zone.py) to the same real
# PowerDNS (sqlite backend, HTTP API) on loopback, in one run:
#   full  - the first sync of the whole zone into an empty pdns zone:
#           polyzone: `polyzone sync apply` (read, plan, push) wall time;
#           octoDNS: `octodns-sync --doit` wall time.
#   incr  - one record changed, until pdns serves it over DNS:
#           polyzone: nsupdate sent -> pdns answers the new record (the
#           engine pushes by itself; dig polled every 5 ms);
#           octoDNS: zone file edited -> `octodns-sync --doit` done ->
#           pdns answers it.
# Each figure is the median of RUNS runs (default 3); every run of full
# starts from a freshly created empty pdns zone.
# Env: RUNS, PORT (5470: polyzone DNS, +1 API, +2 pdns DNS, +3 pdns API),
#      POLYZONE (target/release/polyzone), BENCH_OUT (target/bench).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
N=${1:-10000}
RUNS=${RUNS:-3}
PORT=${PORT:-5470}
POLYZONE=${POLYZONE:-$ROOT/target/release/polyzone}
OUT=${BENCH_OUT:-$ROOT/target/bench}
PZ_DNS=$PORT; PZ_API=$((PORT + 1)); PD_DNS=$((PORT + 2)); PD_API=$((PORT + 3))
KEY=bench-key
Z=bench.test
TSIG=c3luYy1iZW5jaC1zZWNyZXQtMDEyMzQ1Njc4OWFiY2RlZg==
for t in pdns_server sqlite3 octodns-sync nsupdate dig curl python3; do
  command -v $t >/dev/null || { echo "missing $t (apt: pdns-server pdns-backend-sqlite3 sqlite3; pip: octodns octodns-powerdns octodns-bind)" >&2; exit 1; }
done
[ -x "$POLYZONE" ] || (cd "$ROOT" && cargo build --release)
D=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; rm -rf "$D"; }
trap cleanup EXIT
mkdir -p "$D/pz/zones" "$D/octo/zones" "$D/pdns" "$OUT"
now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# --- pdns
cat >"$D/pdns/pdns.conf" <<CONF
launch=gsqlite3
gsqlite3-database=$D/pdns/pdns.sqlite3
local-address=127.0.0.1:$PD_DNS
socket-dir=$D/pdns
guardian=no
daemon=no
disable-syslog=yes
loglevel=3
api=yes
api-key=$KEY
webserver=yes
webserver-address=127.0.0.1
webserver-port=$PD_API
webserver-allow-from=127.0.0.1
default-soa-content=ns1.@ hostmaster.@ 0 10800 3600 604800 3600
cache-ttl=0
negquery-cache-ttl=0
query-cache-ttl=0
zone-cache-refresh-interval=0
CONF
sqlite3 "$D/pdns/pdns.sqlite3" </usr/share/doc/pdns-backend-sqlite3/schema.sqlite3.sql
pdns_server --config-dir="$D/pdns" >"$D/pdns/log" 2>&1 &
PIDS+=($!)
API=http://127.0.0.1:$PD_API/api/v1/servers/localhost
api() { curl -sf -H "X-API-Key: $KEY" -H 'Content-Type: application/json' "$@"; }
for _ in $(seq 100); do api $API >/dev/null 2>&1 && break; sleep 0.1; done
fresh_zone() {
  api -X DELETE "$API/zones/$Z." >/dev/null 2>&1 || true
  api -X POST "$API/zones" -d "{\"name\":\"$Z.\",\"kind\":\"Native\",\"nameservers\":[\"ns1.$Z.\"]}" >/dev/null
}
served() { dig +short +norec +time=1 +tries=1 @127.0.0.1 -p $PD_DNS "$1" A; }
wait_served() { # name value
  for _ in $(seq 20000); do [ "$(served "$1")" = "$2" ] && return 0; sleep 0.005; done
  echo "timeout waiting for $1 at pdns" >&2; return 1
}

# --- the zone (apex NS/SOA are the provider's: both tools leave them alone)
python3 "$ROOT/scripts/bench/gen_zone.py" -n "$N" -z $Z -o "$D/zone.raw"
cp "$D/zone.raw" "$D/pz/zones/$Z.zone"
cp "$D/zone.raw" "$D/octo/zones/$Z.zone"
RECORDS=$(grep -vc '^\s*;' "$D/zone.raw" || true)

# --- polyzone
cat >"$D/pz/polyzone.toml" <<CONF
[server]
listen = ["127.0.0.1:$PZ_DNS"]
api_listen = "127.0.0.1:$PZ_API"
data_dir = "data"
[[tsig]]
name = "k"
secret = "$TSIG"
[[zone]]
name = "$Z"
file = "zones/$Z.zone"
update = ["k"]
targets = ["pdns"]
[[target]]
name = "pdns"
kind = "powerdns"
url = "http://127.0.0.1:$PD_API"
api_key_file = "pdns.key"
threshold = 100.0
CONF
printf '%s' "$KEY" >"$D/pz/pdns.key"

# --- octoDNS
cat >"$D/octo/config.yaml" <<CONF
providers:
  zonefile:
    class: octodns_bind.ZoneFileSource
    directory: $D/octo/zones
    file_extension: .zone
  pdns:
    class: octodns_powerdns.PowerDnsProvider
    host: 127.0.0.1
    port: $PD_API
    scheme: http
    api_key: env/PDNS_API_KEY
zones:
  $Z.:
    sources: [zonefile]
    targets: [pdns]
CONF
octo() { (cd "$D/octo" && PDNS_API_KEY=$KEY octodns-sync --config-file=config.yaml --doit --force >"$D/octo/log" 2>&1); }

full_pz=(); full_octo=(); incr_pz=(); incr_octo=()
for run in $(seq "$RUNS"); do
  # polyzone full: start the server on an empty pdns zone, then one apply.
  fresh_zone
  rm -rf "$D/pz/data"
  (cd "$D/pz" && exec "$POLYZONE" serve --config polyzone.toml 2>"$D/pz/log") &
  PZ=$!; PIDS+=($PZ)
  for _ in $(seq 600); do dig +short +norec @127.0.0.1 -p $PZ_DNS $Z SOA | grep -q . && break; sleep 0.05; done
  # The worker starts pushing at once; time a full sync on a fresh zone.
  for _ in $(seq 600); do "$POLYZONE" sync status --json --config "$D/pz/polyzone.toml" 2>/dev/null | grep -q '"state": "ok"' && break; sleep 0.05; done
  fresh_zone
  t0=$(now); "$POLYZONE" sync apply --zone $Z --config "$D/pz/polyzone.toml" >/dev/null; t1=$(now)
  full_pz+=("$(echo "$t1 - $t0" | bc -l)")
  wait_served r1.$Z "$(awk '$1=="r1" {print $NF; exit}' "$D/zone.raw")" || true
  # polyzone incremental: nsupdate -> pdns serves it.
  t0=$(now)
  printf 'server 127.0.0.1 %s\nzone %s.\nupdate add inc%s.%s. 60 A 203.0.113.%s\nsend\n' $PZ_DNS $Z "$run" $Z "$run" \
    | nsupdate -y hmac-sha256:k:$TSIG
  wait_served inc$run.$Z 203.0.113.$run
  t1=$(now); incr_pz+=("$(echo "$t1 - $t0" | bc -l)")
  kill $PZ; wait $PZ 2>/dev/null || true

  # octoDNS full on a fresh zone.
  fresh_zone
  cp "$D/zone.raw" "$D/octo/zones/$Z.zone"
  t0=$(now); octo; t1=$(now); full_octo+=("$(echo "$t1 - $t0" | bc -l)")
  # octoDNS incremental: edit the file, sync, until pdns serves it.
  t0=$(now)
  printf 'oinc%s 60 IN A 203.0.113.%s\n' "$run" "$((100 + run))" >>"$D/octo/zones/$Z.zone"
  octo
  wait_served oinc$run.$Z 203.0.113.$((100 + run))
  t1=$(now); incr_octo+=("$(echo "$t1 - $t0" | bc -l)")
done

fp=$(printf '%s\n' "${full_pz[@]}" | median); fo=$(printf '%s\n' "${full_octo[@]}" | median)
ip=$(printf '%s\n' "${incr_pz[@]}" | median); io=$(printf '%s\n' "${incr_octo[@]}" | median)
{
  echo "# sync benchmark, zone $Z with $RECORDS lines (N=$N), $RUNS runs, median seconds; $(date -u +%FT%TZ)"
  printf 'what\tpolyzone\toctodns\toctodns/polyzone\n'
  printf 'full sync\t%.3f\t%.3f\t%.1fx\n' "$fp" "$fo" "$(echo "$fo / $fp" | bc -l)"
  printf 'one-record change to served\t%.3f\t%.3f\t%.1fx\n' "$ip" "$io" "$(echo "$io / $ip" | bc -l)"
  echo "# runs: full polyzone ${full_pz[*]}; full octodns ${full_octo[*]}; incr polyzone ${incr_pz[*]}; incr octodns ${incr_octo[*]}"
} | tee "$OUT/sync_$N.tsv"
