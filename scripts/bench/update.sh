#!/usr/bin/env bash
# update.sh [options] - dynamic-update (RFC 2136 + TSIG hmac-sha256) benchmark
# of polyzone beside named and knotd, on loopback, in one run:
#   1. one nsupdate process at a time sending single-change updates in
#      sequence (K in all)
#   2. CLIENTS nsupdate processes at once (K in all, distinct names); 2b. the
#      same load from dnsperf -u (CLIENTS sockets, CLIENTS updates in flight)
#   3. the round trip of one update on the N zone and on a BIG_N zone
#      (median of LAT sequential updates), server CPU per update, polyzone's
#      server time (strace), the disk's fsync time; on the BIG_N zone also
#      BIG_K updates in a row (polyzone folds its journal into a new snapshot
#      past 1,000 diffs: the max round trip shows what that costs)
#   4. optional crash loop (polyzone only): SIGKILL the server CRASH times
#      while a client streams updates; every acknowledged name must survive
# plus polyzone's restart time on its data dir after the updates.
# All servers of a zone size run at once (own ports) and every test is cut
# into ROUNDS rounds that visit the servers in turn, so a slow spell of the
# shared disk hits all of them alike. See scripts/bench/README.md.
#
# Options (or the env variable in brackets):
#   --k K            updates in test 1 and in test 2 [K, 2000]
#   --clients C      concurrent clients in test 2 [CLIENTS, 8]
#   --lat L          updates timed one by one in test 3 [LAT, 60]
#   --rounds R       rounds every test is cut into [ROUNDS, 8]
#   --n N            zone size of tests 1-3 [N, 10000]
#   --big-n N        zone size of the big-zone test, 0 = skip [BIG_N, 1000000]
#   --servers "..."  [SERVERS, "polyzone named knot"]
#   --big-servers "..." [BIG_SERVERS, "polyzone named"]
#   --big-k K        updates in a row on the big zone, 0 = skip [BIG_K, 1100]
#   --crash N        crash-loop kills, 0 = skip [CRASH, 0]
#   --crash-max-ms M longest random wait before a kill [CRASH_MAX_MS, 300]
# Env: PORT (5410: polyzone; its API PORT+1, named PORT+2, knotd PORT+3),
#      BENCH_OUT (target/bench), POLYZONE (target/release/polyzone),
#      POLYZONE_SERVER_TOML (extra [server] lines), NSUPDATE_TIMEOUT (600 s:
#      bound of every nsupdate process), STRACE_SERVERS ("polyzone": servers
#      whose update path is timed with strace; "" = none).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
K=${K:-2000}
CLIENTS=${CLIENTS:-8}
LAT=${LAT:-60}
ROUNDS=${ROUNDS:-8}
N=${N:-10000}
BIG_N=${BIG_N:-1000000}
SERVERS=${SERVERS:-polyzone named knot}
BIG_SERVERS=${BIG_SERVERS:-polyzone named}
BIG_K=${BIG_K:-1100}
CRASH=${CRASH:-0}
CRASH_MAX_MS=${CRASH_MAX_MS:-300}
PORT=${PORT:-5410}
NSUPDATE_TIMEOUT=${NSUPDATE_TIMEOUT:-600}
STRACE_SERVERS=${STRACE_SERVERS-polyzone}
while [ $# -gt 0 ]; do
  case $1 in
    --k) K=$2 ;;
    --clients) CLIENTS=$2 ;;
    --lat) LAT=$2 ;;
    --rounds) ROUNDS=$2 ;;
    --n) N=$2 ;;
    --big-n) BIG_N=$2 ;;
    --servers) SERVERS=$2 ;;
    --big-servers) BIG_SERVERS=$2 ;;
    --big-k) BIG_K=$2 ;;
    --crash) CRASH=$2 ;;
    --crash-max-ms) CRASH_MAX_MS=$2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "update.sh: unknown option $1 (--help)" >&2; exit 2 ;;
  esac
  shift 2
done
ZONE=bench.test
KEY=bench-key
OUT=${BENCH_OUT:-$ROOT/target/bench}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
RUN=$OUT/run/update
POLYZONE=${POLYZONE:-$ROOT/target/release/polyzone}
CLIENT="python3 $ROOT/scripts/bench/dnsupd.py"
TSV=$OUT/update.tsv
STAMP=$(date -u +%Y-%m-%dT%H:%M:%SZ)
SEQ_R=$((K / ROUNDS))                 # test 1: updates per server per round
CONC_R=$((K / ROUNDS / CLIENTS))      # test 2: updates per client per round
LAT_R=$(((LAT + ROUNDS - 1) / ROUNDS)) # test 3: updates per server per round
declare -A PORT_OF=([polyzone]=$PORT [named]=$((PORT + 2)) [knot]=$((PORT + 3)))
declare -A PID_OF DIR_OF

die() { echo "update.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 not found (run scripts/test.sh once to install the peers)"; }
log() { echo "== $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.3f\n", a - b }'; }
add() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f\n", a + b }'; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.0f}" 'BEGIN { if (b > 0) printf f "\n", a / b; else print "-" }'; }

check_tools() {
  local t s all=$SERVERS
  for t in dig nsupdate python3 openssl timeout; do need "$t"; done
  [ "$BIG_N" = 0 ] || all="$all $BIG_SERVERS"
  [ "$CRASH" = 0 ] || all="$all polyzone"
  for s in $all; do
    case $s in
      named) need named ;;
      knot) need knotd ;;
      polyzone) [ -x "$POLYZONE" ] || (cd "$ROOT" && cargo build --release --bin polyzone) ;;
      *) die "unknown server $s (polyzone, named, knot)" ;;
    esac
  done
  for t in $PORT $((PORT + 2)) $((PORT + 3)); do
    if dig +time=1 +tries=1 @127.0.0.1 -p "$t" . SOA >/dev/null 2>&1; then
      die "something already answers on 127.0.0.1:$t (set PORT)"
    fi
  done
  [ "$SEQ_R" -ge 1 ] && [ "$CONC_R" -ge 1 ] || die "K must be at least ROUNDS x CLIENTS"
}

zonefile() { # n -> path of the generated zone (kept in $OUT/zones/n, shared with serve.sh)
  local d=$OUT/zones/$1
  mkdir -p "$d"
  [ -s "$d/$ZONE.zone" ] || python3 "$ROOT/scripts/bench/gen_zone.py" -n "$1" -z $ZONE -o "$d/$ZONE.zone"
  echo "$d/$ZONE.zone"
}

# --- servers -----------------------------------------------------------------

# Writes the config of server $1 in dir $2 (zone file already at $2/$ZONE.zone)
# and prints its command line.
write_config() {
  local s=$1 d=$2 p=${PORT_OF[$1]}
  case $s in
    polyzone)
      cat >"$d/polyzone.toml" <<CONF
[server]
listen = ["127.0.0.1:$p"]
api_listen = "127.0.0.1:$((p + 1))"
data_dir = "data"
${POLYZONE_SERVER_TOML:-}

[[tsig]]
name = "$KEY"
algorithm = "hmac-sha256"
secret = "$SECRET"

[[zone]]
name = "$ZONE"
file = "$ZONE.zone"
update = ["$KEY"]
CONF
      echo "$POLYZONE serve --config $d/polyzone.toml" ;;
    named)
      # A dynamic zone: named keeps a journal ($ZONE.zone.jnl) and fsyncs it
      # before answering (strace: 2 fsync per update).
      cat >"$d/named.conf" <<CONF
key "$KEY" { algorithm hmac-sha256; secret "$SECRET"; };
options {
    directory "$d";
    listen-on port $p { 127.0.0.1; };
    listen-on-v6 { none; };
    pid-file "$d/named.pid";
    session-keyfile "$d/session.key";
    managed-keys-directory "$d";
    recursion no;
    notify no;
    dnssec-validation no;
};
controls { };
zone "$ZONE" { type primary; file "$d/$ZONE.zone"; allow-update { key "$KEY"; }; };
CONF
      echo "named -g -n 2 -c $d/named.conf" ;;
    knot)
      mkdir -p "$d/db"
      cat >"$d/knot.conf" <<CONF
server:
    rundir: "$d"
    listen: 127.0.0.1@$p
    udp-workers: 2
    tcp-workers: 2
    background-workers: 2
database:
    storage: "$d/db"
log:
  - target: stderr
    any: info
key:
  - id: $KEY
    algorithm: hmac-sha256
    secret: $SECRET
acl:
  - id: update
    address: 127.0.0.1
    key: $KEY
    action: update
template:
  - id: default
    zonefile-sync: -1
    journal-content: changes
zone:
  - domain: $ZONE
    file: "$d/$ZONE.zone"
    acl: update
CONF
      echo "knotd -c $d/knot.conf" ;;
  esac
}

launch() { # server dir command... (the subshell execs the server: $! is the server)
  local s=$1 d=$2
  shift 2
  ( cd "$d" && exec "$@" >>"$d/server.log" 2>&1 ) &
  PID_OF[$s]=$!
}

soa_is_authoritative() { # port
  dig +norec +time=1 +tries=1 @127.0.0.1 -p "$1" $ZONE SOA 2>/dev/null | grep -q 'flags: qr aa'
}

wait_ready() { # server t0 limit_s -> seconds from t0 to the first authoritative SOA
  local s=$1 t0=$2 limit=$3
  while ! soa_is_authoritative "${PORT_OF[$s]}"; do
    kill -0 "${PID_OF[$s]}" 2>/dev/null || return 1
    awk -v e="$(elapsed "$t0")" -v l="$limit" 'BEGIN { exit !(e > l) }' && return 1
    sleep 0.01
  done
  elapsed "$t0"
}

# Not in $(...): PID_OF must reach the caller. Sets LOAD_S.
start_server() { # server dir limit_s (fails if not ready in time)
  local cmd t0
  DIR_OF[$1]=$2
  cmd=$(write_config "$1" "$2")
  t0=$(now)
  # shellcheck disable=SC2086  # our own space-separated command line
  launch "$1" "$2" $cmd
  LOAD_S=$(wait_ready "$1" "$t0" "$3")
}

stop_server() { # server: TERM, KILL after 30 s
  local s=$1 pid=${PID_OF[$1]:-} i
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  PID_OF[$s]=""
}

serial() { dig +short +time=2 @127.0.0.1 -p "${PORT_OF[$1]}" $ZONE SOA | awk '{print $3}'; }

cpu_ns() { # server -> on-CPU time of all its threads, ns (schedstat)
  cat /proc/"${PID_OF[$1]}"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'
}

journal_diffs() { # polyzone dir: entries `polyzone history` lists
  "$POLYZONE" history $ZONE --limit 100000 --config "$1/polyzone.toml" 2>/dev/null | tail -n +2 | wc -l
}

# --- clients -----------------------------------------------------------------

nsupdate_script() { # server prefix count -> nsupdate input; the names go to <script>.names
  local i
  echo "server 127.0.0.1 ${PORT_OF[$1]}"
  echo "zone $ZONE"
  for i in $(seq 1 "$3"); do
    echo "update add $2$i.$ZONE 300 IN A 192.0.2.$((i % 250 + 1))"
    echo "send"
  done
}

names() { seq 1 "$2" | sed "s/^/$1/; s/\$/.$ZONE/"; } # prefix count

run_nsupdate() { # script -> one bounded nsupdate process
  timeout "$NSUPDATE_TIMEOUT" nsupdate -y "hmac-sha256:$KEY:$SECRET" "$1" >"$1.out" 2>&1
}

present() { # server namefile -> how many of its names answer (never fails: missing names are a result)
  { $CLIENT check --port "${PORT_OF[$1]}" --zone $ZONE "$2" || true; } | tee "$2.check" | awk 'NR == 1 {print $2}'
}

send_updates() { # server prefix count rttfile namesfile
  $CLIENT send --port "${PORT_OF[$1]}" --zone $ZONE --key "$KEY:$SECRET" --prefix "$2" --count "$3" \
    --rtt "$4" --acked "$5" --max-seconds 300 >/dev/null
}

median_ms() { # file of seconds -> "median p90" in ms
  sort -g "$1" | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "- -"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    p = v[int(NR * 0.9 + 0.999)]
    printf "%.3f %.3f\n", m * 1000, p * 1000 }'
}

fsync_probe() { $CLIENT fsync "$OUT" --count "${1:-50}" | awk '{print $1}'; } # -> median ms

rotate() { # round list... -> the list rotated by round (each server leads once)
  local r=$1
  shift
  local a=("$@") i n=$#
  for i in $(seq 0 $((n - 1))); do printf '%s ' "${a[$(((i + r) % n))]}"; done
}

# --- results -----------------------------------------------------------------

declare -A R
put() { # n server figure value
  R["$1|$2|$3"]=$4
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$STAMP" "$1" "$2" "$3" "$4" "$K" "$CLIENTS" >>"$TSV"
}
append() { # n server figure value: value joined to the figure's list with '/'
  local k="$1|$2|$3"
  if [ -n "${R[$k]:-}" ]; then R[$k]="${R[$k]}/$4"; else R[$k]=$4; fi
}

# --- the tests ---------------------------------------------------------------

start_all() { # n servers...
  local n=$1 s d
  shift
  for s in "$@"; do
    d=$RUN/$s-$n
    log "$s, N=$n: load"
    rm -rf "$d"; mkdir -p "$d"
    cp "$(zonefile "$n")" "$d/$ZONE.zone"
    if start_server "$s" "$d" 600; then
      put "$n" "$s" load_s "$LOAD_S"
      put "$n" "$s" serial_start "$(serial "$s")"
    else
      echo "$s did not load N=$n; log $d/server.log" >&2
      stop_server "$s"
    fi
  done
}

up() { [ -n "${PID_OF[$1]:-}" ]; }

# Test 1: ROUNDS rounds; in each, one nsupdate process per server (in turn)
# with SEQ_R updates in sequence. Rate = all updates / summed wall time.
test_seq() { # n count_per_round label
  local n=$1 per=$2 label=$3 r s d f t0 w rc
  declare -A wall=()
  log "N=$n: $label: $ROUNDS rounds x $per sequential updates (one nsupdate) per server"
  for r in $(seq 1 "$ROUNDS"); do
    append "$n" disk fsync_rounds_ms "$(fsync_probe)"
    for s in $(rotate "$r" "$@"); do
      up "$s" || continue
      d=${DIR_OF[$s]}; f=$d/$label-$r.nsupdate
      nsupdate_script "$s" "$label$r-" "$per" >"$f"
      names "$label$r-" "$per" >>"$d/$label.names"
      t0=$(now); rc=0; run_nsupdate "$f" || rc=$?; w=$(elapsed "$t0")
      [ "$rc" = 0 ] || echo "$s: nsupdate exit $rc, see $f.out" >&2
      wall[$s]=$(add "${wall[$s]:-0}" "$w")
      append "$n" "$s" "${label}_rounds" "$(div "$per" "$w")"
    done
  done
  for s in "$@"; do
    up "$s" || continue
    put "$n" "$s" "${label}_wall_s" "${wall[$s]}"
    put "$n" "$s" "${label}_upd_per_s" "$(div "$((per * ROUNDS))" "${wall[$s]}")"
    put "$n" "$s" "${label}_rounds" "${R["$n|$s|${label}_rounds"]}"
  done
}

# Test 2: ROUNDS rounds; in each, per server, CLIENTS nsupdate processes at
# once with CONC_R updates each (distinct names).
test_conc() { # n
  local n=$1 r s d j t0 w rc pids
  declare -A wall=()
  log "N=$n: conc: $ROUNDS rounds x $CLIENTS nsupdate processes x $CONC_R updates per server"
  shift
  for r in $(seq 1 "$ROUNDS"); do
    append "$n" disk fsync_rounds_ms "$(fsync_probe)"
    for s in $(rotate "$r" "$@"); do
      up "$s" || continue
      d=${DIR_OF[$s]}; pids=()
      for j in $(seq 1 "$CLIENTS"); do
        nsupdate_script "$s" "c$r-$j-" "$CONC_R" >"$d/conc-$r-$j.nsupdate"
        names "c$r-$j-" "$CONC_R" >>"$d/conc.names"
      done
      t0=$(now)
      for j in $(seq 1 "$CLIENTS"); do run_nsupdate "$d/conc-$r-$j.nsupdate" & pids+=($!); done
      rc=0; for j in "${pids[@]}"; do wait "$j" || rc=$?; done
      w=$(elapsed "$t0")
      [ "$rc" = 0 ] || echo "$s: an nsupdate exited $rc, see $d/conc-$r-*.nsupdate.out" >&2
      wall[$s]=$(add "${wall[$s]:-0}" "$w")
      append "$n" "$s" conc_rounds "$(div "$((CONC_R * CLIENTS))" "$w")"
    done
  done
  for s in "$@"; do
    up "$s" || continue
    put "$n" "$s" conc_wall_s "${wall[$s]}"
    put "$n" "$s" conc_upd_per_s "$(div "$((CONC_R * CLIENTS * ROUNDS))" "${wall[$s]}")"
    put "$n" "$s" conc_rounds "${R["$n|$s|conc_rounds"]}"
  done
}

# Test 2b: the same concurrency from one efficient client: dnsperf in
# update mode with CLIENTS sockets and CLIENTS updates in flight (each
# socket its own source port, so no client steals another's answer, and
# little client CPU, which on 2 cores otherwise competes with the server).
test_dnsperf() { # n servers...
  local n=$1 r s d f out rate lost
  shift
  command -v dnsperf >/dev/null || { echo "dnsperf missing: test 2b skipped" >&2; return 0; }
  log "N=$n: dnsperf: $ROUNDS rounds x $((CONC_R * CLIENTS)) updates ($CLIENTS sockets, $CLIENTS in flight) per server"
  for r in $(seq 1 "$ROUNDS"); do
    for s in $(rotate "$r" "$@"); do
      up "$s" || continue
      d=${DIR_OF[$s]}; f=$d/dp-$r.input
      names "dp$r-" "$((CONC_R * CLIENTS))" >>"$d/dp.names"
      names "dp$r-" "$((CONC_R * CLIENTS))" | awk -v z=$ZONE '{ printf "%s\nadd %s. 300 A 192.0.2.%d\nsend\n", z, $1, NR % 250 + 1 }' >"$f"
      out=$(timeout "$NSUPDATE_TIMEOUT" dnsperf -u -s 127.0.0.1 -p "${PORT_OF[$s]}" -y "hmac-sha256:$KEY:$SECRET" \
        -d "$f" -n 1 -c "$CLIENTS" -q "$CLIENTS" -t 5 2>&1) || true
      rate=$(awk '/Updates per second/ { print $4 }' <<<"$out")
      lost=$(awk '/Updates lost/ { print $3 }' <<<"$out")
      [ "${lost:-1}" = 0 ] || echo "$s: dnsperf lost ${lost:-?} updates in round $r" >&2
      append "$n" "$s" dnsperf_rounds "$(printf '%.0f' "${rate:-0}")"
    done
  done
  for s in "$@"; do
    up "$s" || continue
    put "$n" "$s" dnsperf_upd_per_s "$(tr '/' '\n' <<<"${R["$n|$s|dnsperf_rounds"]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')"
    put "$n" "$s" dnsperf_rounds "${R["$n|$s|dnsperf_rounds"]}"
  done
}

# Test 3: ROUNDS rounds of LAT_R updates per server, each timed by the
# python client; the server's CPU during them; the SOA query baseline; then
# polyzone's own time per update under strace.
test_latency() { # n servers...
  local n=$1 r s d c0 c1 med p90
  declare -A cpu=()
  log "N=$n: latency: $ROUNDS rounds x $LAT_R updates timed one by one per server"
  shift
  for r in $(seq 1 "$ROUNDS"); do
    append "$n" disk fsync_rounds_ms "$(fsync_probe)"
    for s in $(rotate "$r" "$@"); do
      up "$s" || continue
      d=${DIR_OF[$s]}
      c0=$(cpu_ns "$s")
      send_updates "$s" "lat$r-" "$LAT_R" "$d/lat-$r.rtt" "$d/lat.names"
      c1=$(cpu_ns "$s")
      cpu[$s]=$(( ${cpu[$s]:-0} + c1 - c0 ))
    done
  done
  for s in "$@"; do
    up "$s" || continue
    d=${DIR_OF[$s]}
    cat "$d"/lat-*.rtt >"$d/lat.rtt"
    read -r med p90 <<<"$(median_ms "$d/lat.rtt")"
    put "$n" "$s" upd_rtt_median_ms "$med"
    put "$n" "$s" upd_rtt_p90_ms "$p90"
    put "$n" "$s" upd_acked "$(wc -l <"$d/lat.rtt")"
    put "$n" "$s" server_cpu_us_per_upd "$(div "${cpu[$s]}" "$((LAT_R * ROUNDS * 1000))")"
    put "$n" "$s" soa_rtt_median_ms "$($CLIENT qrtt --port "${PORT_OF[$s]}" --zone $ZONE --count 200)"
    case " $STRACE_SERVERS " in *" $s "*) server_time "$n" "$s" ;; esac
  done
}

# The server's own time per update, from strace timestamps: end of the
# receive of the UPDATE -> end of the send of its answer, minus the
# fsync/fdatasync calls in between. strace slows every traced syscall, so
# this is an upper bound. LAT more updates, one at a time.
server_time() { # n server
  local n=$1 s=$2 d=${DIR_OF[$2]} spid line
  command -v strace >/dev/null || return 0
  log "$s, N=$n: $LAT updates under strace (server time)"
  timeout 300 strace -f -ttt -T -e trace=recvmmsg,recvfrom,recvmsg,sendto,sendmsg,sendmmsg,fsync,fdatasync \
    -p "${PID_OF[$s]}" -o "$d/strace.txt" 2>/dev/null &
  spid=$!
  sleep 1
  send_updates "$s" st "$LAT" /dev/null "$d/st.names"
  sleep 0.2
  kill -INT "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  line=$($CLIENT strace "$d/strace.txt" || true)
  # updates N server_ms M fsync_ms F server_minus_fsync_ms M P90
  put "$n" "$s" strace_server_ms "$(awk '{print $4}' <<<"$line")"
  put "$n" "$s" strace_fsync_ms "$(awk '{print $6}' <<<"$line")"
  put "$n" "$s" strace_server_minus_fsync_ms "$(awk '{print $8}' <<<"$line")"
  put "$n" "$s" strace_server_minus_fsync_p90_ms "$(awk '{print $9}' <<<"$line")"
}

# BIG_K updates in a row per server (python client): median, p99 and max
# round trip, and how many took over 100 ms.
test_burst() { # n servers...
  local n=$1 s d med p99 max slow
  shift
  for s in "$@"; do
    up "$s" || continue
    d=${DIR_OF[$s]}
    log "$s, N=$n: $BIG_K updates in a row"
    append "$n" disk fsync_rounds_ms "$(fsync_probe)"
    send_updates "$s" b "$BIG_K" "$d/burst.rtt" "$d/burst.names"
    sort -g "$d/burst.rtt" | awk '{ v[NR] = $1 } END {
      printf "%.3f %.3f %.1f %d\n", v[int((NR + 1) / 2)] * 1000, v[int(NR * 0.99 + 0.999)] * 1000, v[NR] * 1000,
        0 + slow }
      $1 > 0.1 { slow++ }' >"$d/burst.stats"
    read -r med p99 max slow <"$d/burst.stats"
    put "$n" "$s" burst_rtt_median_ms "$med"
    put "$n" "$s" burst_rtt_p99_ms "$p99"
    put "$n" "$s" burst_rtt_max_ms "$max"
    put "$n" "$s" burst_over_100ms "$slow"
  done
}

# Every name a server acknowledged answers; the serial moved once per update.
verify() { # n server
  local n=$1 s=$2 d=${DIR_OF[$2]} f
  up "$s" || return 0
  for f in seq conc; do
    [ -s "$d/$f.names" ] || continue
    put "$n" "$s" "${f}_present" "$(present "$s" "$d/$f.names")"
  done
  cat "$d"/*.names >"$d/all.list"
  put "$n" "$s" names_written "$(wc -l <"$d/all.list")"
  put "$n" "$s" names_present "$(present "$s" "$d/all.list")"
  put "$n" "$s" serial_moved "$(( $(serial "$s") - ${R["$n|$s|serial_start"]} ))"
}

# polyzone: stop, start again on the same data dir (zone = snapshot + journal),
# time to the first SOA answer; every name written before must be there.
restart() { # n
  local n=$1 d=${DIR_OF[polyzone]}
  up polyzone || return 0
  put "$n" polyzone journal_diffs "$(journal_diffs "$d")"
  log "polyzone, N=$n: restart on the data dir"
  stop_server polyzone
  if ! start_server polyzone "$d" 600; then
    echo "polyzone did not restart; log $d/server.log" >&2; return 0
  fi
  put "$n" polyzone restart_s "$LOAD_S"
  put "$n" polyzone present_after_restart "$(present polyzone "$d/all.list")"
}

phase() { # n big(0/1) servers...
  local n=$1 big=$2 s
  shift 2
  start_all "$n" "$@"
  if [ "$big" = 0 ]; then
    test_seq "$n" "$SEQ_R" seq "$@"
    test_conc "$n" "$@"
    test_dnsperf "$n" "$@"
  else
    test_seq "$n" "$LAT_R" seq "$@"
    for s in "$@"; do
      up "$s" && put "$n" "$s" nsupdate_ms_per_upd "$(div "$(awk -v w="${R["$n|$s|seq_wall_s"]}" 'BEGIN { print w * 1000 }')" "$((LAT_R * ROUNDS))" %.3f)"
    done
  fi
  test_latency "$n" "$@"
  [ "$big" = 0 ] || [ "$BIG_K" = 0 ] || test_burst "$n" "$@"
  for s in "$@"; do verify "$n" "$s"; done
  [[ " $* " == *" polyzone "* ]] && restart "$n"
  for s in "$@"; do stop_server "$s"; done
}

# Test 4: kill -9 at random moments while a client streams updates.
crash_loop() {
  local d=$RUN/crash-$N i t0 ok=0 failed=0 spid s0 acked present present_all next committed
  log "polyzone crash loop: $CRASH kills, N=$N"
  rm -rf "$d"; mkdir -p "$d"
  cp "$(zonefile "$N")" "$d/$ZONE.zone"
  start_server polyzone "$d" 120 || die "polyzone did not start; log $d/server.log"
  s0=$(serial polyzone)
  : >"$d/acked.names"
  $CLIENT send --port "$PORT" --zone $ZONE --key "$KEY:$SECRET" --prefix k --count 0 --timeout 0.2 \
    --acked "$d/acked.names" --max-seconds $((CRASH * (CRASH_MAX_MS + 2000) / 1000 + 120)) >"$d/sender.out" &
  spid=$!
  SENDER_PID=$spid
  for i in $(seq 1 "$CRASH"); do
    sleep "$(awk -v m=$((RANDOM % (CRASH_MAX_MS + 1))) 'BEGIN { printf "%.3f", m / 1000 }')"
    kill -KILL "${PID_OF[polyzone]}" 2>/dev/null || true
    wait "${PID_OF[polyzone]}" 2>/dev/null || true
    t0=$(now)
    # shellcheck disable=SC2046  # our own space-separated command line
    launch polyzone "$d" $(write_config polyzone "$d")
    if wait_ready polyzone "$t0" 60 >>"$d/restart_s.txt"; then ok=$((ok + 1)); else failed=$((failed + 1)); break; fi
    [ $((i % 50)) = 0 ] && log "  $i kills, $(wc -l <"$d/acked.names") acknowledged so far"
  done
  sleep 0.5
  kill -TERM "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  SENDER_PID=""
  acked=$(wc -l <"$d/acked.names")
  present=$(present polyzone "$d/acked.names")
  # Every update adds one new name, so the serial moved once per name that
  # made it to the journal: acknowledged ones plus maybe the one in flight
  # when the client stopped (retried names are no-ops the second time).
  next=$(awk -F. 'END { sub(/^k/, "", $1); print ($1 == "" ? 0 : $1 + 1) }' "$d/acked.names")
  echo "k$next.$ZONE" >"$d/inflight.names"
  committed=$(( $(serial polyzone) - s0 ))
  present_all=$((present + $(present polyzone "$d/inflight.names")))
  stop_server polyzone
  put "$N" polyzone crash_kills "$ok"
  put "$N" polyzone crash_restart_failures "$failed"
  put "$N" polyzone crash_acknowledged "$acked"
  put "$N" polyzone crash_present "$present"
  put "$N" polyzone crash_lost "$((acked - present))"
  put "$N" polyzone crash_serial_delta "$committed"
  put "$N" polyzone crash_restart_median_ms "$(median_ms "$d/restart_s.txt" | awk '{print $1}')"
  CRASH_LINE="crash loop: $ok kills ($failed failed restarts, median restart $(median_ms "$d/restart_s.txt" | awk '{printf "%.0f", $1}') ms); acknowledged $acked, present $present, lost $((acked - present)); serial +$committed for $present_all names in the zone ($(cat "$d/sender.out"))"
  [ "$committed" = "$present_all" ] || CRASH_LINE="$CRASH_LINE; MISMATCH: serial moved $committed times"
  CRASH_FAILED=$(( acked != present || committed != present_all || failed != 0 ))
}

# --- report ------------------------------------------------------------------

W=16
row() { # label n figure servers
  local label=$1 n=$2 f=$3 s
  printf '%-34s' "$label"
  for s in $4; do printf " %${W}s" "${R["$n|$s|$f"]:--}"; done
  printf '\n'
}

header() { # n servers
  local s
  printf '\nN = %-30s' "$1"
  for s in $2; do printf " %${W}s" "$s"; done
  printf '\n'
}

report() {
  printf '\nDynamic updates, RFC 2136 + TSIG hmac-sha256, each durable before its answer\n'
  if [ -n "$SERVERS" ]; then
    header "$N" "$SERVERS"
    row "zone load s" "$N" load_s "$SERVERS"
    row "1 client, updates/s" "$N" seq_upd_per_s "$SERVERS"
    row "  per round" "$N" seq_rounds "$SERVERS"
    row "$CLIENTS clients, updates/s" "$N" conc_upd_per_s "$SERVERS"
    row "  per round" "$N" conc_rounds "$SERVERS"
    row "$CLIENTS in flight (dnsperf -u), updates/s, median round" "$N" dnsperf_upd_per_s "$SERVERS"
    row "  per round" "$N" dnsperf_rounds "$SERVERS"
    row "update round trip, median ms" "$N" upd_rtt_median_ms "$SERVERS"
    row "update round trip, p90 ms" "$N" upd_rtt_p90_ms "$SERVERS"
    row "SOA query round trip, median ms" "$N" soa_rtt_median_ms "$SERVERS"
    row "server CPU per update, us" "$N" server_cpu_us_per_upd "$SERVERS"
    row "server time (strace), median ms" "$N" strace_server_ms "$SERVERS"
    row "  of which fsync, median ms" "$N" strace_fsync_ms "$SERVERS"
    row "  apart from fsync, median ms" "$N" strace_server_minus_fsync_ms "$SERVERS"
    row "  apart from fsync, p90 ms" "$N" strace_server_minus_fsync_p90_ms "$SERVERS"
    row "names written (tests 1-3)" "$N" names_written "$SERVERS"
    row "  present" "$N" names_present "$SERVERS"
    row "  SOA serial moved by" "$N" serial_moved "$SERVERS"
    row "journal diffs kept" "$N" journal_diffs "$SERVERS"
    row "restart on the data dir, s" "$N" restart_s "$SERVERS"
    row "  names present after it" "$N" present_after_restart "$SERVERS"
    printf '%-34s %s\n' "disk fsync median ms, per round" "${R["$N|disk|fsync_rounds_ms"]:--}"
  fi
  if [ "$BIG_N" != 0 ] && [ -n "$BIG_SERVERS" ]; then
    header "$BIG_N" "$BIG_SERVERS"
    row "zone load s" "$BIG_N" load_s "$BIG_SERVERS"
    row "nsupdate ms per update (mean)*" "$BIG_N" nsupdate_ms_per_upd "$BIG_SERVERS"
    row "update round trip, median ms" "$BIG_N" upd_rtt_median_ms "$BIG_SERVERS"
    row "update round trip, p90 ms" "$BIG_N" upd_rtt_p90_ms "$BIG_SERVERS"
    row "SOA query round trip, median ms" "$BIG_N" soa_rtt_median_ms "$BIG_SERVERS"
    row "server CPU per update, us" "$BIG_N" server_cpu_us_per_upd "$BIG_SERVERS"
    row "server time (strace), median ms" "$BIG_N" strace_server_ms "$BIG_SERVERS"
    row "  of which fsync, median ms" "$BIG_N" strace_fsync_ms "$BIG_SERVERS"
    row "  apart from fsync, median ms" "$BIG_N" strace_server_minus_fsync_ms "$BIG_SERVERS"
    row "  apart from fsync, p90 ms" "$BIG_N" strace_server_minus_fsync_p90_ms "$BIG_SERVERS"
    row "$BIG_K in a row, median ms" "$BIG_N" burst_rtt_median_ms "$BIG_SERVERS"
    row "  p99 ms" "$BIG_N" burst_rtt_p99_ms "$BIG_SERVERS"
    row "  max ms" "$BIG_N" burst_rtt_max_ms "$BIG_SERVERS"
    row "  updates over 100 ms" "$BIG_N" burst_over_100ms "$BIG_SERVERS"
    row "names written (all tests)" "$BIG_N" names_written "$BIG_SERVERS"
    row "  present" "$BIG_N" names_present "$BIG_SERVERS"
    row "  SOA serial moved by" "$BIG_N" serial_moved "$BIG_SERVERS"
    row "journal diffs kept" "$BIG_N" journal_diffs "$BIG_SERVERS"
    row "restart on the data dir, s" "$BIG_N" restart_s "$BIG_SERVERS"
    row "  names present after it" "$BIG_N" present_after_restart "$BIG_SERVERS"
    printf '%-34s %s\n' "disk fsync median ms, per round" "${R["$BIG_N|disk|fsync_rounds_ms"]:--}"
  fi
  [ "$BIG_N" = 0 ] || printf '* %s nsupdate processes of %s updates each per server, process start included.\n' "$ROUNDS" "$LAT_R"
  printf '\ndisk: write 4 KiB + fsync, median %s ms, p90 %s ms (%s)\n' "$FSYNC_MED" "$FSYNC_P90" "$OUT"
  printf 'rates: %s rounds, servers in turn; K = %s per test and server (%s clients x %s per round in test 2).\n' \
    "$ROUNDS" "$K" "$CLIENTS" "$CONC_R"
  printf 'round trip = python client (dnsupd.py), send to verified signed answer, %s updates per server.\n' "$((LAT_R * ROUNDS))"
  printf 'server CPU = on-CPU time of all server threads (schedstat) during those updates / their number.\n'
  printf 'server time = strace -f -ttt -T: UPDATE received -> answer sent, %s more updates (strace slows syscalls: upper bound).\n' "$LAT"
  [ -n "${CRASH_LINE:-}" ] && printf '%s\n' "$CRASH_LINE"
  printf 'load average: %s at the start, %s at the end\n' "$LOAD0" "$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "TSV: $TSV"
}

cleanup() {
  local s
  [ -n "${SENDER_PID:-}" ] && kill -TERM "$SENDER_PID" 2>/dev/null
  for s in "${!PID_OF[@]}"; do stop_server "$s"; done
}

main() {
  check_tools
  SECRET=$(openssl rand -base64 32)
  trap cleanup EXIT
  [ -s "$TSV" ] || printf 'time\tN\tserver\tfigure\tvalue\tK\tclients\n' >"$TSV"
  LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)
  log "load average: $LOAD0"
  # shellcheck disable=SC2086  # word lists
  [ -z "$SERVERS" ] || phase "$N" 0 $SERVERS
  # shellcheck disable=SC2086
  [ "$BIG_N" = 0 ] || [ -z "$BIG_SERVERS" ] || phase "$BIG_N" 1 $BIG_SERVERS
  read -r FSYNC_MED FSYNC_P90 <<<"$($CLIENT fsync "$OUT" --count 200)"
  put 0 disk fsync_median_ms "$FSYNC_MED"
  put 0 disk fsync_p90_ms "$FSYNC_P90"
  [ -z "${R["$N|disk|fsync_rounds_ms"]:-}" ] || put "$N" disk fsync_rounds_ms "${R["$N|disk|fsync_rounds_ms"]}"
  [ -z "${R["$BIG_N|disk|fsync_rounds_ms"]:-}" ] || put "$BIG_N" disk fsync_rounds_ms "${R["$BIG_N|disk|fsync_rounds_ms"]}"
  if [ "$CRASH" != 0 ]; then crash_loop; fi
  report
  [ "${CRASH_FAILED:-0}" = 0 ] || { echo "update.sh: crash loop FAILED (see above)" >&2; exit 1; }
}

main
