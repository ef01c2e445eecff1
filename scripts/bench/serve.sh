#!/usr/bin/env bash
# serve.sh [--dnssec] [N...] - side-by-side serving benchmark of polyzone,
# knotd and nsd on loopback: zone load time, memory after load, and dnsperf
# throughput and latency with a mixed (10% NXDOMAIN) and an all-existing (0%
# NXDOMAIN) query file. See scripts/bench/README.md.
#
# --dnssec: every server loads the same zone signed by dnssec-signzone
#           (ECDSAP256SHA256; DENIAL=nsec or nsec3) and every query has DO=1.
#
# Env: SERVERS  (default "polyzone knot nsd")   which servers to run
#      RUNS     (3)      dnsperf runs per query file; the median is reported
#      DURATION (10)     seconds per dnsperf run (every run is bounded by it)
#      PORT     (5390)   DNS port (polyzone's API gets PORT+1)
#      BENCH_OUT (target/bench)  TSV, logs, zones and configs
#      POLYZONE (target/release/polyzone)  binary; built with cargo if missing
#      POLYZONE_SERVER_TOML  extra lines for polyzone's [server] table (e.g. a
#               worker-count key, to match the peers' 2 workers)
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
DNSSEC=""
if [ "${1:-}" = "--dnssec" ]; then DNSSEC=1; shift; fi
DENIAL=${DENIAL:-nsec}
if [ $# -gt 0 ]; then SIZES=("$@"); else SIZES=(10000 1000000); fi
SERVERS=${SERVERS:-polyzone knot nsd}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
PORT=${PORT:-5390}
ZONE=bench.test
WORKERS=2
OUT=${BENCH_OUT:-$ROOT/target/bench}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
POLYZONE=${POLYZONE:-$ROOT/target/release/polyzone}
TSV=$OUT/serve.tsv
HZ=$(getconf CLK_TCK)

die() { echo "serve.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 not found (run scripts/test.sh once to install the peers)"; }

check_tools() {
  local t
  for t in dig dnsperf python3 /usr/bin/time; do need "$t"; done
  if [ -n "$DNSSEC" ]; then need dnssec-keygen; need dnssec-signzone; fi
  for t in $SERVERS; do
    case $t in
      knot) need knotd ;;
      nsd) need nsd ;;
      polyzone) [ -x "$POLYZONE" ] || (cd "$ROOT" && cargo build --release --bin polyzone) ;;
      *) die "unknown server $t (polyzone, knot, nsd)" ;;
    esac
  done
}

# --- zone and query files ----------------------------------------------------

generate() { # N -> $OUT/zones/N/{bench.test.zone,mixed.txt,nx0.txt}
  local n=$1 d=$OUT/zones/$1
  mkdir -p "$d"
  if [ ! -s "$d/nx0.txt" ]; then
    python3 "$ROOT/scripts/bench/gen_zone.py" -n "$n" -z $ZONE -o "$d/$ZONE.zone" -q "$d/mixed.txt" --nx 0.10
    python3 "$ROOT/scripts/bench/gen_zone.py" -n "$n" -z $ZONE -o /dev/null -q "$d/nx0.txt" --nx 0
  fi
}

# Signs the N zone once (kept for later runs); prints the signed file's path.
sign() { # N
  local d=$OUT/zones/$1 k=$OUT/zones/$1/keys-$DENIAL f=$OUT/zones/$1/$ZONE.$DENIAL.signed
  if [ ! -s "$f" ]; then
    rm -rf "$k"; mkdir -p "$k"
    dnssec-keygen -q -K "$k" -a ECDSAP256SHA256 -f KSK $ZONE >/dev/null
    dnssec-keygen -q -K "$k" -a ECDSAP256SHA256 $ZONE >/dev/null
    local opts=()
    [ "$DENIAL" = nsec3 ] && opts=(-3 - -H 0)
    echo "signing N=$1 ($DENIAL) with dnssec-signzone -P ..." >&2
    dnssec-signzone -q -S -P -K "$k" -d "$k" -o $ZONE -N keep "${opts[@]}" -f "$f.tmp" "$d/$ZONE.zone" >/dev/null
    mv "$f.tmp" "$f"
  fi
  echo "$f"
}

# --- process helpers ---------------------------------------------------------

children() { ps -o pid= --ppid "$1" 2>/dev/null | tr -d ' ' || true; }

tree() { # pid -> pid and all descendants
  local all=$1 level=$1 next p
  while [ -n "$level" ]; do
    next=""
    for p in $level; do next="$next $(children "$p")"; done
    level=$(echo $next)
    all="$all $level"
  done
  echo $all
}

kb_field() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/$3" 2>/dev/null || true; }

rss_mb() { local v; v=$(kb_field "$1" VmRSS status); echo $(( ${v:-0} / 1024 )); }

pss_tree_mb() { # sum of PSS over the tree: nsd keeps its zone in forked children
  local s=0 p v
  for p in $(tree "$1"); do v=$(kb_field "$p" Pss smaps_rollup); s=$((s + ${v:-0})); done
  echo $((s / 1024))
}

cpu_ticks() { # utime+stime over the tree (comm may hold spaces: cut after ") ")
  local s=0 p v
  for p in $(tree "$1"); do
    v=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}' || true)
    s=$((s + ${v:-0}))
  done
  echo $s
}

now() { date +%s.%N; }
elapsed() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.3f\n", a - b }'; }

# --- servers -----------------------------------------------------------------

write_config() { # server dir zonefile
  local s=$1 d=$2 z=$3
  case $s in
    polyzone)
      mkdir -p "$d/zones" "$d/keys" "$d/data"
      ln -sf "$z" "$d/zones/$ZONE.zone"
      cat >"$d/polyzone.toml" <<CONF
[server]
listen = ["127.0.0.1:$PORT"]
api_listen = "127.0.0.1:$((PORT + 1))"
data_dir = "data"
keys_dir = "keys"
${POLYZONE_SERVER_TOML:-}

[[zone]]
name = "$ZONE"
file = "zones/$ZONE.zone"
CONF
      echo "$POLYZONE serve --config $d/polyzone.toml" ;;
    knot)
      mkdir -p "$d/db"
      cat >"$d/knot.conf" <<CONF
server:
    rundir: "$d"
    listen: [ 127.0.0.1@$PORT ]
    udp-workers: $WORKERS
    tcp-workers: $WORKERS
    background-workers: $WORKERS
database:
    storage: "$d/db"
log:
  - target: stderr
    any: info
template:
  - id: default
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: $ZONE
    file: "$z"
CONF
      echo "knotd -c $d/knot.conf" ;;
    nsd)
      cat >"$d/nsd.conf" <<CONF
server:
    ip-address: 127.0.0.1@$PORT
    port: $PORT
    server-count: $WORKERS
    username: ""
    chroot: ""
    database: ""
    zonelistfile: "$d/zone.list"
    xfrdfile: "$d/xfrd.state"
    pidfile: "$d/nsd.pid"
    logfile: "$d/nsd.log"
    # Debian's nsd limits 200 q/s per source by default: off for a benchmark
    rrl-ratelimit: 0
    rrl-whitelist-ratelimit: 0
remote-control:
    control-enable: no
zone:
    name: $ZONE
    zonefile: "$z"
CONF
      echo "nsd -d -c $d/nsd.conf" ;;
  esac
}

# Starts the server under /usr/bin/time -v; sets TIME_PID and SERVER_PID.
launch() { # dir command...
  local d=$1 i
  shift
  ( cd "$d" && exec /usr/bin/time -v -o "$d/time.txt" "$@" >"$d/server.log" 2>&1 ) &
  TIME_PID=$!
  SERVER_PID=""
  for i in $(seq 1 200); do
    SERVER_PID=$(children "$TIME_PID" | head -1)
    [ -n "$SERVER_PID" ] && return 0
    kill -0 "$TIME_PID" 2>/dev/null || break
    sleep 0.01
  done
  return 1
}

soa_is_authoritative() {
  dig +norec +time=1 +tries=1 @127.0.0.1 -p "$PORT" $ZONE SOA 2>/dev/null | grep -q 'flags: qr aa'
}

wait_loaded() { # t0 timeout_s -> prints seconds from t0 to the first authoritative SOA
  local t0=$1 limit=$2
  while ! soa_is_authoritative; do
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    awk -v e="$(elapsed "$t0")" -v l="$limit" 'BEGIN { exit !(e > l) }' && return 1
    sleep 0.01
  done
  elapsed "$t0"
}

stop_server() { # TERM to the server; KILL after 15 s; waits for /usr/bin/time
  local i
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for i in $(seq 1 150); do
    kill -0 "$TIME_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -0 "$TIME_PID" 2>/dev/null && kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$TIME_PID" 2>/dev/null || true
}

# --- dnsperf -----------------------------------------------------------------

# One bounded run; prints "qps latency_ms lost_pct server_cpu_pct".
perf_run() { # queryfile log
  local c0 c1
  c0=$(cpu_ticks "$SERVER_PID")
  local do_bit=()
  [ -n "$DNSSEC" ] && do_bit=(-D)
  timeout $((DURATION + 20)) dnsperf -s 127.0.0.1 -p "$PORT" -d "$1" -l "$DURATION" -c 10 -T 1 -q 100 "${do_bit[@]}" >"$2" 2>&1 || true
  c1=$(cpu_ticks "$SERVER_PID")
  awk -v cpu="$(( (c1 - c0) * 100 / HZ / DURATION ))" '
    /Queries per second/ { qps = $4 }
    /Average Latency/    { lat = $4 * 1000 }
    /Queries lost/       { gsub(/[()%]/, "", $4); lost = $4 }
    END { printf "%d %.3f %s %d\n", qps, lat, (lost == "" ? "?" : lost), cpu }' "$2"
}

# RUNS runs; prints the median run (by qps) and all qps joined by '/'.
perf_median() { # queryfile logprefix
  local r rows=""
  for r in $(seq 1 "$RUNS"); do rows="$rows$(perf_run "$1" "$2-$r.txt")"$'\n'; done
  local sorted all
  sorted=$(printf '%s' "$rows" | sort -n)
  all=$(printf '%s\n' "$sorted" | awk '{printf "%s%s", (NR > 1 ? "/" : ""), $1}')
  echo "$(printf '%s\n' "$sorted" | sed -n "$(( (RUNS + 1) / 2 ))p") $all"
}

# --- one server, one size ----------------------------------------------------

bench_one() { # server N
  local s=$1 n=$2 d=$OUT/run/$1-$2${DNSSEC:+-$DENIAL} z=$OUT/zones/$2/$ZONE.zone cmd t0 load rss pss peak f
  [ -n "$DNSSEC" ] && z=$OUT/zones/$2/$ZONE.$DENIAL.signed
  rm -rf "$d"; mkdir -p "$d"
  cmd=$(write_config "$s" "$d" "$z")
  t0=$(now)
  # shellcheck disable=SC2086  # cmd is our own space-separated command line
  if ! launch "$d" $cmd || ! load=$(wait_loaded "$t0" 600); then
    echo "$s N=$n: did not start or load; log $d/server.log" >&2
    [ -n "${SERVER_PID:-}" ] && stop_server
    return 0
  fi
  # polyzone writes the zone's first journal snapshot in the background
  # right after it starts serving: the qps runs measure the steady state
  # after it (the load time above is unaffected).
  if [ "$s" = polyzone ]; then
    for _ in $(seq 1 600); do
      grep -q "first snapshot written" "$d/server.log" && break
      sleep 0.1
    done
  fi
  rss=$(rss_mb "$SERVER_PID"); pss=$(pss_tree_mb "$SERVER_PID")
  for f in mixed nx0; do
    read -r qps lat lost cpu all <<<"$(perf_median "$OUT/zones/$n/$f.txt" "$d/dnsperf-$f")"
    RESULTS+=("$n"$'\t'"$s"$'\t'"$f${DNSSEC:+-do-$DENIAL}"$'\t'"$load"$'\t'"$rss"$'\t'"$pss"$'\t'PEAK$'\t'"$qps"$'\t'"$lat"$'\t'"$lost"$'\t'"$cpu"$'\t'"$all")
  done
  stop_server
  peak=$(awk '/Maximum resident/ {print int($NF / 1024)}' "$d/time.txt" 2>/dev/null || echo "?")
  local i
  for i in "${!RESULTS[@]}"; do RESULTS[$i]=${RESULTS[$i]/PEAK/${peak:-?}}; done
}

# --- report ------------------------------------------------------------------

# One block per N: a row per figure, a column per server.
print_table() {
  printf '%s\n' "$@" | awk -F'\t' -v servers="$SERVERS" -v runs="$RUNS" -v dur="$DURATION" -v sfx="${DNSSEC:+-do-$DENIAL}" '
    { key = $1 SUBSEP $2
      if (!($1 in seen)) { seen[$1] = 1; order[++nsizes] = $1 }
      load[key] = $4; mem[key] = ($2 == "nsd" ? $6 "*" : $5); peak[key] = $7
      qps[key, $3] = $8; lat[key, $3] = $9; lost[key, $3] = $10; cpu[key, $3] = $11 }
    function row(label, arr, file,   i, k) {
      printf "%-22s", label
      for (i = 1; i <= ns; i++) {
        k = size SUBSEP s[i]
        if (file != "") k = k SUBSEP file
        printf " %12s", (k in arr ? arr[k] : "-")
      }
      printf "\n"
    }
    END {
      ns = split(servers, s, " ")
      for (j = 1; j <= nsizes; j++) {
        size = order[j]
        printf "\nN = %s\n%-22s", size, ""
        for (i = 1; i <= ns; i++) printf " %12s", s[i]
        printf "\n"
        row("load s", load, ""); row("memory MB", mem, ""); row("peak RSS MB", peak, "")
        row("qps, 10% NXDOMAIN", qps, "mixed" sfx); row("latency ms", lat, "mixed" sfx)
        row("lost %", lost, "mixed" sfx); row("server CPU %", cpu, "mixed" sfx)
        row("qps, 0% NXDOMAIN", qps, "nx0" sfx); row("latency ms", lat, "nx0" sfx)
        row("lost %", lost, "nx0" sfx); row("server CPU %", cpu, "nx0" sfx)
      }
      if (sfx != "") printf "\nsigned zone (dnssec-signzone, %s), every query with DO=1.", substr(sfx, 5)
      printf "\nmemory = VmRSS after load (polyzone: once its first snapshot is written); * nsd: PSS summed over its process tree (its zone lives in forked servers).\n"
      printf "qps, latency = median of %s x %s s dnsperf runs (-c 10 -T 1 -q 100); CPU over that run, 2 cores = 200 %%.\n", runs, dur
    }'
}

main() {
  check_tools
  [ -s "$TSV" ] || printf 'N\tserver\tqueries\tload_s\trss_MB\tpss_tree_MB\tpeak_rss_MB\tqps_median\tavg_latency_ms\tlost_pct\tserver_cpu_pct\tqps_all_runs\n' >"$TSV"
  local n s all_rows=()
  for n in "${SIZES[@]}"; do
    generate "$n"
    [ -n "$DNSSEC" ] && sign "$n" >/dev/null
    for s in $SERVERS; do
      echo "== $s, N=$n" >&2
      RESULTS=()
      bench_one "$s" "$n"
      [ ${#RESULTS[@]} -gt 0 ] && printf '%s\n' "${RESULTS[@]}" >>"$TSV" && all_rows+=("${RESULTS[@]}")
    done
  done
  [ ${#all_rows[@]} -gt 0 ] && print_table "${all_rows[@]}"
  echo "TSV: $TSV"
}

main
