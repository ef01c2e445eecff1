#!/usr/bin/env bash
# xfr.sh - zone transfer benchmark, polyzone beside knotd and nsd, in one run:
#
#  1. AXFR of the N-record zone (default 1,000,000) to a local
#     `dig +noall` (parses every message, prints nothing: kdig's text output
#     costs it more CPU than the servers spend); the three serve at once
#     and the RUNS rounds alternate between them; median wall time.
#     Target: polyzone <= 0.8 x peers. The same rounds also time a raw
#     client (examples/axfr_sink: walks every record to count them, prints
#     no text), where the time is the server's and the socket's.
#  2. IXFR of a one-record change on that zone: polyzone's server-side time,
#     from the request read to the last byte written (the `elapsed_us` of its
#     "transfer sent" log line), median of RUNS updates. Target: < 5 ms.
#  3. Propagation: a polyzone primary (1,000-record zone, TSIG) with knotd,
#     nsd and named as TSIG secondaries; from nsupdate acknowledged by
#     polyzone until all three answer the new record (dig polled every
#     10 ms), PROP_RUNS updates, p50 and max. Target: p50 < 300 ms.
#
# Env: N (1000000), RUNS (5), PROP_RUNS (20), PORT (15440: polyzone; +1 its
#      API, +2 knotd, +3 nsd; +10.. for the propagation lab),
#      BENCH_OUT (target/bench), POLYZONE (target/release/polyzone).
# Everything listens on 127.0.0.1 only and is stopped by PID.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
N=${N:-1000000}
RUNS=${RUNS:-5}
PROP_RUNS=${PROP_RUNS:-20}
PORT=${PORT:-15440}
ZONE=xfr.test
OUT=${BENCH_OUT:-$ROOT/target/bench}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)/xfr
POLYZONE=${POLYZONE:-$ROOT/target/release/polyzone}
SINK=${SINK:-$ROOT/target/release/examples/axfr_sink}
SECRET=$(head -c 32 /dev/urandom | base64)
PIDS=()

die() { echo "xfr.sh: $*" >&2; exit 1; }
for t in dig nsupdate knotd nsd named python3 awk; do command -v $t >/dev/null || die "$t not found"; done
[ -x "$POLYZONE" ] || (cd "$ROOT" && cargo build --release --bin polyzone)

cleanup() { local p; for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill -TERM "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

start() { # dir port cmd... -> pid appended to PIDS, stderr to dir/server.log
  local d=$1 port=$2; shift 2
  [ -z "$(serial "$port")" ] || die "something already answers on port $port"

  ( cd "$d"; exec "$@" >"$d/server.log" 2>&1 ) &
  PIDS+=($!)
}
stop_last() { local p=${PIDS[-1]}; kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; unset 'PIDS[-1]'; }
now() { date +%s.%N; }
serial() { dig +short +norec +time=1 +tries=1 @127.0.0.1 -p "$1" $ZONE SOA 2>/dev/null | awk '$3 ~ /^[0-9]+$/ {print $3}'; }
wait_soa() { # port [timeout s]
  local i; for i in $(seq $(( ${2:-120} * 10 ))); do [ -n "$(serial "$1")" ] && return 0; sleep 0.1; done
  die "nothing answers on port $1"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
pct() { sort -g | awk -v p="$1" '{a[NR]=$1} END {i=int(NR*p/100+0.999); if(i<1)i=1; print a[i]}'; }

rm -rf "$OUT"; mkdir -p "$OUT"/{zone,polyzone/zones,knot/db,nsd,lab}
echo "generating the $N-record zone..."
python3 "$ROOT/scripts/bench/gen_zone.py" -n "$N" -z $ZONE -o "$OUT/zone/$ZONE.zone" >/dev/null
cp "$OUT/zone/$ZONE.zone" "$OUT/polyzone/zones/"

# ---------------------------------------------------------------- 1. AXFR --
PZ=$PORT KP=$((PORT + 2)) NP=$((PORT + 3))
cat >"$OUT/polyzone/polyzone.toml" <<EOF
[server]
listen = ["127.0.0.1:$PZ"]
api_listen = "127.0.0.1:$((PORT + 1))"
[[tsig]]
name = "xfr-key"
secret = "$SECRET"
[[zone]]
name = "$ZONE"
file = "zones/$ZONE.zone"
update = ["xfr-key"]
transfer = ["127.0.0.0/8", "xfr-key"]
EOF
cat >"$OUT/knot/knot.conf" <<EOF
server:
    rundir: "$OUT/knot"
    listen: 127.0.0.1@$KP
    udp-workers: 2
    tcp-workers: 2
    background-workers: 2
database:
    storage: "$OUT/knot/db"
log:
  - target: stderr
    any: info
acl:
  - id: local_xfr
    address: 127.0.0.0/8
    action: transfer
template:
  - id: default
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: $ZONE
    file: "$OUT/zone/$ZONE.zone"
    acl: local_xfr
EOF
cat >"$OUT/nsd/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$NP
    port: $NP
    server-count: 2
    username: ""
    chroot: ""
    database: ""
    zonelistfile: "$OUT/nsd/zone.list"
    xfrdfile: "$OUT/nsd/xfrd.state"
    pidfile: "$OUT/nsd/nsd.pid"
    logfile: "$OUT/nsd/nsd.log"
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: $ZONE
    zonefile: "$OUT/zone/$ZONE.zone"
    provide-xfr: 127.0.0.0/8 NOKEY
EOF

axfr_time() { # port -> seconds; checks the record count
  local t0 t1 out
  t0=$(now)
  out=$(dig @127.0.0.1 -p "$1" +noall +stats +time=60 $ZONE AXFR | grep 'XFR size')
  t1=$(now)
  [ "$out" = "$2" ] || die "AXFR from $1: '$out', expected '$2'"
  echo "$t1 - $t0" | bc -l
}
sink_time() { # port -> seconds; checks the record count
  local out
  out=$("$SINK" 127.0.0.1:"$1" $ZONE) || die "axfr_sink from $1 failed"
  [ "$(awk '{print $2}' <<<"$out")" = "$2" ] || die "axfr_sink from $1: '$out', expected $2 records"
  awk '{print $8}' <<<"$out"
}
[ -x "$SINK" ] || (cd "$ROOT" && cargo build --release --example axfr_sink >/dev/null 2>&1) || die "cannot build examples/axfr_sink"
declare -A AXFR PORTS=([polyzone]=$PZ [knot]=$KP [nsd]=$NP) TIMES SIZE SINKT SINKM RECS
# All three serve at once and the runs alternate between them, so a change
# in the machine's load (other jobs) hits every server alike.
start "$OUT/polyzone" $PZ "$POLYZONE" serve --config "$OUT/polyzone/polyzone.toml"
start "$OUT/knot" $KP knotd -c "$OUT/knot/knot.conf"
start "$OUT/nsd" $NP nsd -d -c "$OUT/nsd/nsd.conf"
for srv in polyzone knot nsd; do
  wait_soa ${PORTS[$srv]} 300
  SIZE[$srv]=$(dig @127.0.0.1 -p ${PORTS[$srv]} +noall +stats +time=60 $ZONE AXFR | grep 'XFR size')
done
for srv in polyzone knot nsd; do
  RECS[$srv]=$("$SINK" 127.0.0.1:${PORTS[$srv]} $ZONE | awk '{print $2}')
done
for r in $(seq "$RUNS"); do
  for srv in polyzone knot nsd; do
    TIMES[$srv]="${TIMES[$srv]:-} $(axfr_time ${PORTS[$srv]} "${SIZE[$srv]}")"
    SINKT[$srv]="${SINKT[$srv]:-} $(sink_time ${PORTS[$srv]} "${RECS[$srv]}")"
  done
done
for srv in polyzone knot nsd; do
  SINKM[$srv]=$(printf '%s\n' ${SINKT[$srv]} | median)
  printf "AXFR %-8s to axfr_sink, %s records, runs: %s -> median %.3f s\n" $srv "${RECS[$srv]}" "$(echo ${SINKT[$srv]})" "${SINKM[$srv]}"
done
for srv in polyzone knot nsd; do
  AXFR[$srv]=$(printf '%s\n' ${TIMES[$srv]} | median)
  printf "AXFR %-8s %s, runs: %s -> median %.3f s\n" $srv "${SIZE[$srv]#;; }" "$(echo ${TIMES[$srv]})" "${AXFR[$srv]}"
done
# The peers are done; polyzone serves part 2.
kill -TERM "${PIDS[-1]}" "${PIDS[-2]}" 2>/dev/null || true
wait "${PIDS[-1]}" "${PIDS[-2]}" 2>/dev/null || true
unset 'PIDS[-1]'; unset 'PIDS[-1]'

# ------------------------------------------------------- 2. IXFR, 1M zone --
echo "IXFR of a one-record change on the $N-record zone (server time from polyzone's log):"
ixfr_us=()
for r in $(seq "$RUNS"); do
  s0=$(serial $PZ)
  printf 'server 127.0.0.1 %s\nzone %s\nupdate add bench-ixfr-%s.%s 300 IN A 192.0.2.%s\nsend\n' \
    $PZ $ZONE "$r" $ZONE "$r" | nsupdate -y "hmac-sha256:xfr-key:$SECRET" -t 10
  s1=$(serial $PZ)
  [ "$s1" != "$s0" ] || die "update not applied"
  n=$(dig +noall +answer @127.0.0.1 -p $PZ $ZONE IXFR="$s0" | wc -l)
  [ "$n" = 5 ] || die "IXFR $s0 -> $s1 gave $n records, not 5"
  us=$(sed 's/\x1b\[[0-9;]*m//g' "$OUT/polyzone/server.log" | grep 'transfer sent' | grep 'kind="IXFR"' | grep "serial=$s1 " | tail -1 | sed -n 's/.*elapsed_us=\([0-9]*\).*/\1/p')
  ixfr_us+=("$us")
done
IXFR_MED=$(printf '%s\n' "${ixfr_us[@]}" | median)
echo "  runs (us): ${ixfr_us[*]} -> median ${IXFR_MED} us"
stop_last

# ---------------------------------------------------- 3. propagation lab --
LP=$((PORT + 10)) LK=$((PORT + 11)) LN=$((PORT + 12)) LB=$((PORT + 13))
L=$OUT/lab
mkdir -p "$L"/{polyzone/zones,knot/db,nsd,named}
python3 "$ROOT/scripts/bench/gen_zone.py" -n 1000 -z $ZONE -o "$L/polyzone/zones/$ZONE.zone" >/dev/null
cat >"$L/polyzone/polyzone.toml" <<EOF
[server]
listen = ["127.0.0.1:$LP"]
api_listen = "127.0.0.1:$((LP + 100))"
[[tsig]]
name = "xfr-key"
secret = "$SECRET"
[[zone]]
name = "$ZONE"
file = "zones/$ZONE.zone"
update = ["xfr-key"]
transfer = ["xfr-key"]
notify = [{ addr = "127.0.0.1:$LK", key = "xfr-key" }, { addr = "127.0.0.1:$LN", key = "xfr-key" }, { addr = "127.0.0.1:$LB", key = "xfr-key" }]
EOF
cat >"$L/knot/knot.conf" <<EOF
server:
    rundir: "$L/knot"
    listen: 127.0.0.1@$LK
database:
    storage: "$L/knot/db"
log:
  - target: stderr
    any: info
key:
  - id: xfr-key
    algorithm: hmac-sha256
    secret: $SECRET
remote:
  - id: primary
    address: 127.0.0.1@$LP
    key: xfr-key
acl:
  - id: from_primary
    address: 127.0.0.1
    key: xfr-key
    action: notify
zone:
  - domain: $ZONE
    storage: "$L/knot"
    file: "$ZONE.zone"
    master: primary
    acl: [ from_primary ]
    zonefile-sync: -1
    journal-content: all
EOF
cat >"$L/nsd/nsd.conf" <<EOF
server:
    ip-address: 127.0.0.1@$LN
    port: $LN
    server-count: 1
    username: ""
    chroot: ""
    database: ""
    zonesdir: "$L/nsd"
    zonelistfile: "$L/nsd/zone.list"
    xfrdfile: "$L/nsd/xfrd.state"
    xfrdir: "$L/nsd"
    pidfile: "$L/nsd/nsd.pid"
    logfile: "$L/nsd/nsd.log"
    # nsd otherwise waits up to 1 s between applying transfers (batching),
    # which would measure nsd's batching rather than the NOTIFY path.
    xfrd-reload-timeout: 0
remote-control:
    control-enable: no
key:
    name: xfr-key
    algorithm: hmac-sha256
    secret: "$SECRET"
zone:
    name: $ZONE
    zonefile: "$ZONE.zone"
    allow-notify: 127.0.0.1 xfr-key
    request-xfr: 127.0.0.1@$LP xfr-key
EOF
cat >"$L/named/named.conf" <<EOF
key "xfr-key" { algorithm hmac-sha256; secret "$SECRET"; };
options {
    directory "$L/named";
    listen-on port $LB { 127.0.0.1; };
    listen-on-v6 { none; };
    pid-file "$L/named/named.pid";
    session-keyfile "$L/named/session.key";
    managed-keys-directory "$L/named";
    recursion no;
    dnssec-validation no;
    notify no;
    transfer-source 127.0.0.1;
    request-ixfr yes;
};
controls { };
zone "$ZONE" {
    type secondary;
    primaries { 127.0.0.1 port $LP key "xfr-key"; };
    file "$L/named/$ZONE.db";
    allow-notify { key "xfr-key"; };
};
EOF
start "$L/polyzone" $LP "$POLYZONE" serve --config "$L/polyzone/polyzone.toml"
wait_soa $LP 30
start "$L/knot" $LK knotd -c "$L/knot/knot.conf"
start "$L/nsd" $LN nsd -d -c "$L/nsd/nsd.conf"
start "$L/named" $LB named -g -n 1 -c "$L/named/named.conf"
S=$(serial $LP)
for p in $LK $LN $LB; do
  for i in $(seq 300); do [ "$(serial $p)" = "$S" ] && break; sleep 0.1; done
  [ "$(serial $p)" = "$S" ] || die "secondary on $p did not load serial $S"
done
echo "propagation: nsupdate acknowledged -> knotd, nsd and named all answer (polled every 10 ms):"
lat=()
for r in $(seq "$PROP_RUNS"); do
  printf 'server 127.0.0.1 %s\nzone %s\nupdate add prop-%s.%s 300 IN A 198.51.100.%s\nsend\n' \
    $LP $ZONE "$r" $ZONE "$((r % 250 + 1))" | nsupdate -y "hmac-sha256:xfr-key:$SECRET" -t 10
  t0=$(now)
  left="$LK $LN $LB"
  while [ -n "$left" ]; do
    next=""
    for p in $left; do
      if [ -n "$(dig +short +norec +time=1 +tries=1 @127.0.0.1 -p $p prop-$r.$ZONE A 2>/dev/null | grep -E "^[0-9.]+$")" ]; then
        echo "$(echo "($(now) - $t0) * 1000" | bc -l | cut -d. -f1)" >>"$L/lat.$p"
      else
        next="$next $p"
      fi
    done
    left=$(echo $next)
    t=$(echo "$(now) - $t0" | bc -l)
    (( $(echo "$t > 30" | bc) )) && die "update $r not everywhere after 30 s (missing: $left)"
    [ -n "$left" ] && sleep 0.01
  done
  lat+=("$(echo "($(now) - $t0) * 1000" | bc -l | cut -d. -f1)")
  sleep 0.2
done
P50=$(printf '%s\n' "${lat[@]}" | pct 50)
PMAX=$(printf '%s\n' "${lat[@]}" | pct 100)
echo "  runs (ms): ${lat[*]} -> p50 ${P50} ms, max ${PMAX} ms"
for p in $LK $LN $LB; do
  name=$([ $p = $LK ] && echo knotd || ([ $p = $LN ] && echo nsd || echo named))
  echo "  $name alone: p50 $(pct 50 <"$L/lat.$p") ms, max $(pct 100 <"$L/lat.$p") ms"
done

echo
echo "== summary ($N records; $(nproc) cores)"
printf "%-40s %12s %12s %12s %s\n" figure polyzone knotd nsd target
printf "%-40s %12.3f %12.3f %12.3f %s\n" "AXFR to dig +noall, median s" "${AXFR[polyzone]}" "${AXFR[knot]}" "${AXFR[nsd]}" \
  "<= 0.8 x peers: ratio $(echo "${AXFR[polyzone]} / ${AXFR[knot]}" | bc -l | cut -c1-4) (knotd), $(echo "${AXFR[polyzone]} / ${AXFR[nsd]}" | bc -l | cut -c1-4) (nsd)"
printf "%-40s %12.3f %12.3f %12.3f %s\n" "AXFR to axfr_sink (raw), median s" "${SINKM[polyzone]}" "${SINKM[knot]}" "${SINKM[nsd]}" \
  "<= 0.8 x peers: ratio $(echo "${SINKM[polyzone]} / ${SINKM[knot]}" | bc -l | cut -c1-4) (knotd), $(echo "${SINKM[polyzone]} / ${SINKM[nsd]}" | bc -l | cut -c1-4) (nsd)"
printf "%-40s %12s %12s %12s %s\n" "IXFR 1-record change, server us (median)" "$IXFR_MED" - - "< 5000"
printf "%-40s %12s %12s %12s %s\n" "nsupdate -> 3 secondaries, p50 ms" "$P50" - - "< 300 (max $PMAX)"
