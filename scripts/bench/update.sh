#!/usr/bin/env bash
# update.sh [options] - dynamic-update (RFC 2136 + TSIG hmac-sha256) benchmark
# of polyzone beside named and knotd, on loopback, in one run:
#   1. one nsupdate process sending K single-change updates in sequence
#   2. CLIENTS nsupdate processes at once, K/CLIENTS updates each
#   3. the round trip of one update on the N zone and on a BIG_N zone
#      (median of LAT sequential updates), server CPU per update, disk fsync
#   4. optional crash loop (polyzone only): SIGKILL the server CRASH times
#      while a client streams updates; every acknowledged name must survive
# plus polyzone's restart time on its data dir after the run.
# See scripts/bench/README.md ("Dynamic updates").
#
# Options (or the env variable in brackets):
#   --k K            updates per test 1 and 2 [K, 2000]
#   --clients C      concurrent clients in test 2 [CLIENTS, 8]
#   --lat L          sequential updates timed one by one in test 3 [LAT, 50]
#   --n N            zone size of tests 1-3 [N, 10000]
#   --big-n N        zone size of the big-zone latency test, 0 = skip [BIG_N, 1000000]
#   --servers "..."  [SERVERS, "polyzone named knot"]
#   --big-servers "..." [BIG_SERVERS, "polyzone named"]
#   --crash N        crash-loop kills, 0 = skip [CRASH, 0]
#   --crash-max-ms M longest random wait before a kill [CRASH_MAX_MS, 300]
# Env: PORT (5410; polyzone's API gets PORT+1), BENCH_OUT (target/bench),
#      POLYZONE (target/release/polyzone), POLYZONE_SERVER_TOML (extra [server]
#      lines), NSUPDATE_TIMEOUT (600 s: bound of every nsupdate process),
#      STRACE_SERVERS ("polyzone": servers whose update path is timed with
#      strace; "" = none).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
K=${K:-2000}
CLIENTS=${CLIENTS:-8}
LAT=${LAT:-50}
N=${N:-10000}
BIG_N=${BIG_N:-1000000}
SERVERS=${SERVERS:-polyzone named knot}
BIG_SERVERS=${BIG_SERVERS:-polyzone named}
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
    --n) N=$2 ;;
    --big-n) BIG_N=$2 ;;
    --servers) SERVERS=$2 ;;
    --big-servers) BIG_SERVERS=$2 ;;
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
PER=$((K / CLIENTS))

die() { echo "update.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null || die "$1 not found (run scripts/test.sh once to install the peers)"; }
log() { echo "== $*" >&2; }
now() { date +%s.%N; }
elapsed() { awk -v a="$(now)" -v b="$1" 'BEGIN { printf "%.3f\n", a - b }'; }
div() { awk -v a="$1" -v b="$2" -v f="${3:-%.0f}" 'BEGIN { if (b > 0) printf f "\n", a / b; else print "-" }'; }

check_tools() {
  local t s
  for t in dig nsupdate python3 openssl timeout; do need "$t"; done
  local all=$SERVERS
  [ "$BIG_N" = 0 ] || all="$all $BIG_SERVERS"
  for s in $all; do
    case $s in
      named) need named ;;
      knot) need knotd ;;
      polyzone) [ -x "$POLYZONE" ] || (cd "$ROOT" && cargo build --release --bin polyzone) ;;
      *) die "unknown server $s (polyzone, named, knot)" ;;
    esac
  done
  if dig +time=1 +tries=1 @127.0.0.1 -p "$PORT" . SOA >/dev/null 2>&1; then
    die "something already answers on 127.0.0.1:$PORT (set PORT)"
  fi
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
  local s=$1 d=$2
  case $s in
    polyzone)
      cat >"$d/polyzone.toml" <<CONF
[server]
listen = ["127.0.0.1:$PORT"]
api_listen = "127.0.0.1:$((PORT + 1))"
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
    listen-on port $PORT { 127.0.0.1; };
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
    listen: 127.0.0.1@$PORT
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

SERVER_PID=""
launch() { # dir command... (the subshell execs the server: $! is the server)
  local d=$1
  shift
  ( cd "$d" && exec "$@" >>"$d/server.log" 2>&1 ) &
  SERVER_PID=$!
}

soa_is_authoritative() {
  dig +norec +time=1 +tries=1 @127.0.0.1 -p "$PORT" $ZONE SOA 2>/dev/null | grep -q 'flags: qr aa'
}

wait_ready() { # t0 limit_s -> seconds from t0 to the first authoritative SOA
  local t0=$1 limit=$2
  while ! soa_is_authoritative; do
    kill -0 "$SERVER_PID" 2>/dev/null || return 1
    awk -v e="$(elapsed "$t0")" -v l="$limit" 'BEGIN { exit !(e > l) }' && return 1
    sleep 0.01
  done
  elapsed "$t0"
}

stop_server() { # TERM, KILL after 30 s
  local i
  [ -n "$SERVER_PID" ] || return 0
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for i in $(seq 1 300); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

# Not in $(...): SERVER_PID must reach the caller. Sets LOAD_S.
start_server() { # server dir limit_s (fails if not ready in time)
  local cmd t0
  cmd=$(write_config "$1" "$2")
  t0=$(now)
  # shellcheck disable=SC2086  # our own space-separated command line
  launch "$2" $cmd
  LOAD_S=$(wait_ready "$t0" "$3")
}

serial() { dig +short +time=2 @127.0.0.1 -p "$PORT" $ZONE SOA | awk '{print $3}'; }

cpu_ns() { # on-CPU time of every thread of the server, ns (schedstat)
  cat /proc/"$SERVER_PID"/task/*/schedstat 2>/dev/null | awk '{s += $1} END {printf "%.0f\n", s}'
}

journal_diffs() { # polyzone: entries `polyzone history` lists
  "$POLYZONE" history $ZONE --limit 1000000 --config "$1/polyzone.toml" 2>/dev/null | tail -n +2 | wc -l
}

# --- clients -----------------------------------------------------------------

nsupdate_script() { # prefix first last -> nsupdate input (and the names to $names)
  local i
  echo "server 127.0.0.1 $PORT"
  echo "zone $ZONE"
  for i in $(seq "$2" "$3"); do
    echo "update add $1$i.$ZONE 300 IN A 192.0.2.$((i % 250 + 1))"
    echo "send"
  done
}

run_nsupdate() { # script -> runs one bounded nsupdate process
  timeout "$NSUPDATE_TIMEOUT" nsupdate -y "hmac-sha256:$KEY:$SECRET" "$1" >"$1.out" 2>&1
}

names() { # prefix first last
  seq "$2" "$3" | sed "s/^/$1/; s/\$/.$ZONE/"
}

present() { # namefile -> how many of its names answer (never fails: missing names are a result)
  { $CLIENT check --port "$PORT" --zone $ZONE "$1" || true; } | tee "$1.check" | awk 'NR == 1 {print $2}'
}

median_ms() { # file of seconds -> "median p90" in ms
  sort -g "$1" | awk '{ v[NR] = $1 } END {
    if (NR == 0) { print "- -"; exit }
    m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
    p = v[int(NR * 0.9 + 0.999)]
    printf "%.3f %.3f\n", m * 1000, p * 1000 }'
}

# --- results -----------------------------------------------------------------

declare -A R
put() { # n server figure value
  R["$1|$2|$3"]=$4
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$STAMP" "$1" "$2" "$3" "$4" "$K" "$CLIENTS" >>"$TSV"
}

# Tests 1-3 (and the restart) on the N zone for one server.
bench_server() {
  local s=$1 d=$RUN/$1-$N s0 s1 s2 t0 w j rc pids=()
  log "$s, N=$N: load"
  rm -rf "$d"; mkdir -p "$d"
  cp "$(zonefile "$N")" "$d/$ZONE.zone"
  if ! start_server "$s" "$d" 120; then
    echo "$s did not start; log $d/server.log" >&2; stop_server; return 0
  fi
  put "$N" "$s" load_s "$LOAD_S"
  s0=$(serial)

  log "$s, N=$N: $K sequential updates, one nsupdate"
  nsupdate_script s 1 "$K" >"$d/seq.nsupdate"
  names s 1 "$K" >"$d/seq.names"
  t0=$(now); rc=0; run_nsupdate "$d/seq.nsupdate" || rc=$?; w=$(elapsed "$t0")
  [ "$rc" = 0 ] || echo "$s: nsupdate exit $rc, see $d/seq.nsupdate.out" >&2
  s1=$(serial)
  put "$N" "$s" seq_wall_s "$w"
  put "$N" "$s" seq_upd_per_s "$(div "$K" "$w")"
  put "$N" "$s" seq_serial_delta "$((s1 - s0))"
  put "$N" "$s" seq_present "$(present "$d/seq.names")"

  log "$s, N=$N: $CLIENTS nsupdate processes x $PER updates"
  : >"$d/conc.names"
  for j in $(seq 1 "$CLIENTS"); do
    nsupdate_script "c$j-" 1 "$PER" >"$d/conc$j.nsupdate"
    names "c$j-" 1 "$PER" >>"$d/conc.names"
  done
  t0=$(now)
  for j in $(seq 1 "$CLIENTS"); do run_nsupdate "$d/conc$j.nsupdate" & pids+=($!); done
  rc=0; for j in "${pids[@]}"; do wait "$j" || rc=$?; done
  w=$(elapsed "$t0")
  [ "$rc" = 0 ] || echo "$s: an nsupdate exited $rc, see $d/conc*.nsupdate.out" >&2
  s2=$(serial)
  put "$N" "$s" conc_wall_s "$w"
  put "$N" "$s" conc_upd_per_s "$(div "$((PER * CLIENTS))" "$w")"
  put "$N" "$s" conc_serial_delta "$((s2 - s1))"
  put "$N" "$s" conc_present "$(present "$d/conc.names")"

  latency "$N" "$s" "$d"

  if [ "$s" = polyzone ]; then restart "$N" "$d"; fi
  stop_server
}

# Test 3: LAT updates timed one by one (python client, same TSIG), the
# server's CPU per update, the SOA query round trip as the baseline.
latency() { # n server dir
  local n=$1 s=$2 d=$3 c0 c1 med p90
  log "$s, N=$n: $LAT updates timed one by one"
  c0=$(cpu_ns)
  $CLIENT send --port "$PORT" --zone $ZONE --key "$KEY:$SECRET" --prefix lat --count "$LAT" \
    --rtt "$d/lat.rtt" --acked "$d/lat.names" --max-seconds 120 >"$d/lat.out"
  c1=$(cpu_ns)
  read -r med p90 <<<"$(median_ms "$d/lat.rtt")"
  put "$n" "$s" upd_rtt_median_ms "$med"
  put "$n" "$s" upd_rtt_p90_ms "$p90"
  put "$n" "$s" upd_acked "$(wc -l <"$d/lat.names")"
  put "$n" "$s" server_cpu_us_per_upd "$(div "$((c1 - c0))" "$((LAT * 1000))" %.0f)"
  put "$n" "$s" soa_rtt_median_ms "$($CLIENT qrtt --port "$PORT" --zone $ZONE --count 200)"
  case " $STRACE_SERVERS " in *" $s "*) server_time "$n" "$s" "$d" ;; esac
}

# The server's own time per update, from strace timestamps: end of the
# receive of the UPDATE -> end of the send of its answer, minus the
# fsync/fdatasync calls in between. strace slows every traced syscall, so
# this is an upper bound. LAT more updates, one at a time.
server_time() { # n server dir
  local n=$1 s=$2 d=$3 spid line
  command -v strace >/dev/null || return 0
  log "$s, N=$n: $LAT updates under strace (server time)"
  timeout 300 strace -f -ttt -T -e trace=recvmmsg,recvfrom,recvmsg,sendto,sendmsg,sendmmsg,fsync,fdatasync \
    -p "$SERVER_PID" -o "$d/strace.txt" 2>/dev/null &
  spid=$!
  sleep 1
  $CLIENT send --port "$PORT" --zone $ZONE --key "$KEY:$SECRET" --prefix st --count "$LAT" \
    --acked "$d/st.names" --max-seconds 120 >/dev/null
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

# polyzone: stop, start again on the same data dir (zone = snapshot + journal),
# time to the first SOA answer; every name written before must be there.
restart() { # n dir
  local n=$1 d=$2
  put "$n" polyzone journal_diffs "$(journal_diffs "$d")"
  log "polyzone, N=$n: restart on the data dir"
  stop_server
  if ! start_server polyzone "$d" 300; then
    echo "polyzone did not restart; log $d/server.log" >&2; return 0
  fi
  put "$n" polyzone restart_s "$LOAD_S"
  cat "$d"/*.names >"$d/all.list"
  put "$n" polyzone names_before_restart "$(wc -l <"$d/all.list")"
  put "$n" polyzone present_after_restart "$(present "$d/all.list")"
}

# Test 3 on the big zone: load, nsupdate mean, python round trips, restart.
bench_big() {
  local s=$1 d=$RUN/$1-$BIG_N t0 w
  log "$s, N=$BIG_N: load"
  rm -rf "$d"; mkdir -p "$d"
  cp "$(zonefile "$BIG_N")" "$d/$ZONE.zone"
  if ! start_server "$s" "$d" 600; then
    echo "$s did not load N=$BIG_N; log $d/server.log" >&2; stop_server; return 0
  fi
  put "$BIG_N" "$s" load_s "$LOAD_S"
  log "$s, N=$BIG_N: $LAT sequential updates, one nsupdate"
  nsupdate_script s 1 "$LAT" >"$d/seq.nsupdate"
  names s 1 "$LAT" >"$d/seq.names"
  t0=$(now); run_nsupdate "$d/seq.nsupdate" || echo "$s: nsupdate failed, see $d/seq.nsupdate.out" >&2
  w=$(elapsed "$t0")
  put "$BIG_N" "$s" nsupdate_ms_per_upd "$(div "$(awk -v w="$w" 'BEGIN { print w * 1000 }')" "$LAT" %.3f)"
  put "$BIG_N" "$s" seq_present "$(present "$d/seq.names")"
  latency "$BIG_N" "$s" "$d"
  if [ "$s" = polyzone ]; then restart "$BIG_N" "$d"; fi
  stop_server
}

# Test 4: kill -9 at random moments while a client streams updates.
crash_loop() {
  local d=$RUN/crash-$N i t0 ok=0 failed=0 spid s0 acked present present_all next committed
  log "polyzone crash loop: $CRASH kills, N=$N"
  rm -rf "$d"; mkdir -p "$d"
  cp "$(zonefile "$N")" "$d/$ZONE.zone"
  start_server polyzone "$d" 120 || die "polyzone did not start; log $d/server.log"
  s0=$(serial)
  : >"$d/acked.names"
  $CLIENT send --port "$PORT" --zone $ZONE --key "$KEY:$SECRET" --prefix k --count 0 --timeout 0.2 \
    --acked "$d/acked.names" --max-seconds $((CRASH * (CRASH_MAX_MS + 2000) / 1000 + 120)) >"$d/sender.out" &
  spid=$!
  SENDER_PID=$spid
  for i in $(seq 1 "$CRASH"); do
    sleep "$(awk -v m=$((RANDOM % (CRASH_MAX_MS + 1))) 'BEGIN { printf "%.3f", m / 1000 }')"
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    t0=$(now)
    launch "$d" $(write_config polyzone "$d")
    if wait_ready "$t0" 60 >>"$d/restart_s.txt"; then ok=$((ok + 1)); else failed=$((failed + 1)); break; fi
    [ $((i % 50)) = 0 ] && log "  $i kills, $(wc -l <"$d/acked.names") acknowledged so far"
  done
  sleep 0.5
  kill -TERM "$spid" 2>/dev/null || true
  wait "$spid" 2>/dev/null || true
  SENDER_PID=""
  acked=$(wc -l <"$d/acked.names")
  present=$(present "$d/acked.names")
  # Every update adds one new name, so the serial moved once per name that
  # made it to the journal: acknowledged ones plus maybe the one in flight
  # when the client stopped (retried names are no-ops the second time).
  next=$(awk -F. 'END { sub(/^k/, "", $1); print ($1 == "" ? 0 : $1 + 1) }' "$d/acked.names")
  echo "k$next.$ZONE" >"$d/inflight.names"
  committed=$(($(serial) - s0))
  present_all=$((present + $(present "$d/inflight.names")))
  stop_server
  put "$N" polyzone crash_kills "$ok"
  put "$N" polyzone crash_restart_failures "$failed"
  put "$N" polyzone crash_acknowledged "$acked"
  put "$N" polyzone crash_present "$present"
  put "$N" polyzone crash_lost "$((acked - present))"
  put "$N" polyzone crash_serial_delta "$committed"
  put "$N" polyzone crash_restart_median_ms "$(median_ms "$d/restart_s.txt" | awk '{print $1}')"
  CRASH_LINE="crash loop: $ok kills ($failed failed restarts); acknowledged $acked, present $present, lost $((acked - present)); serial +$committed for $present_all names in the zone ($(cat "$d/sender.out"))"
  [ "$committed" = "$present_all" ] || CRASH_LINE="$CRASH_LINE; MISMATCH: serial moved $committed times"
  CRASH_FAILED=$(( acked != present || committed != present_all || failed != 0 ))
}

# --- report ------------------------------------------------------------------

row() { # label n figure servers
  local label=$1 n=$2 f=$3 s
  printf '%-34s' "$label"
  for s in $4; do printf ' %12s' "${R["$n|$s|$f"]:--}"; done
  printf '\n'
}

report() {
  local s
  printf '\nDynamic updates, RFC 2136 + TSIG hmac-sha256, each durable before its answer\n'
  printf '\nN = %s, K = %s%-14s' "$N" "$K" ""
  for s in $SERVERS; do printf ' %12s' "$s"; done; printf '\n'
  row "zone load s" "$N" load_s "$SERVERS"
  row "1 client, updates/s" "$N" seq_upd_per_s "$SERVERS"
  row "  names present (of $K)" "$N" seq_present "$SERVERS"
  row "  SOA serial moved by" "$N" seq_serial_delta "$SERVERS"
  row "$CLIENTS clients, updates/s" "$N" conc_upd_per_s "$SERVERS"
  row "  names present (of $((PER * CLIENTS)))" "$N" conc_present "$SERVERS"
  row "  SOA serial moved by" "$N" conc_serial_delta "$SERVERS"
  row "update round trip, median ms" "$N" upd_rtt_median_ms "$SERVERS"
  row "update round trip, p90 ms" "$N" upd_rtt_p90_ms "$SERVERS"
  row "SOA query round trip, median ms" "$N" soa_rtt_median_ms "$SERVERS"
  row "server CPU per update, us" "$N" server_cpu_us_per_upd "$SERVERS"
  row "server time (strace), median ms" "$N" strace_server_ms "$SERVERS"
  row "  of which fsync, median ms" "$N" strace_fsync_ms "$SERVERS"
  row "  apart from fsync, median ms" "$N" strace_server_minus_fsync_ms "$SERVERS"
  row "  apart from fsync, p90 ms" "$N" strace_server_minus_fsync_p90_ms "$SERVERS"
  row "journal diffs kept" "$N" journal_diffs "$SERVERS"
  row "restart on the data dir, s" "$N" restart_s "$SERVERS"
  row "names written before restart" "$N" names_before_restart "$SERVERS"
  row "  present after restart" "$N" present_after_restart "$SERVERS"
  if [ "$BIG_N" != 0 ]; then
    printf '\nN = %s%-23s' "$BIG_N" ""
    for s in $BIG_SERVERS; do printf ' %12s' "$s"; done; printf '\n'
    row "zone load s" "$BIG_N" load_s "$BIG_SERVERS"
    row "nsupdate, ms per update (mean)" "$BIG_N" nsupdate_ms_per_upd "$BIG_SERVERS"
    row "update round trip, median ms" "$BIG_N" upd_rtt_median_ms "$BIG_SERVERS"
    row "update round trip, p90 ms" "$BIG_N" upd_rtt_p90_ms "$BIG_SERVERS"
    row "SOA query round trip, median ms" "$BIG_N" soa_rtt_median_ms "$BIG_SERVERS"
    row "server CPU per update, us" "$BIG_N" server_cpu_us_per_upd "$BIG_SERVERS"
    row "server time (strace), median ms" "$BIG_N" strace_server_ms "$BIG_SERVERS"
    row "  of which fsync, median ms" "$BIG_N" strace_fsync_ms "$BIG_SERVERS"
    row "  apart from fsync, median ms" "$BIG_N" strace_server_minus_fsync_ms "$BIG_SERVERS"
    row "  apart from fsync, p90 ms" "$BIG_N" strace_server_minus_fsync_p90_ms "$BIG_SERVERS"
    row "journal diffs kept" "$BIG_N" journal_diffs "$BIG_SERVERS"
    row "restart on the data dir, s" "$BIG_N" restart_s "$BIG_SERVERS"
  fi
  printf '\ndisk: write 4 KiB + fsync, median %s ms, p90 %s ms (%s)\n' "$FSYNC_MED" "$FSYNC_P90" "$OUT"
  printf 'round trip = python client (dnsupd.py), send to verified signed answer, %s updates in sequence;\n' "$LAT"
  printf 'server CPU = on-CPU time of all server threads (schedstat) during those updates / %s.\n' "$LAT"
  printf 'server time = strace -f -ttt -T: UPDATE received -> answer sent, %s more updates (strace slows syscalls: upper bound).\n' "$LAT"
  [ -n "${CRASH_LINE:-}" ] && printf '%s\n' "$CRASH_LINE"
  printf 'load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
  echo "TSV: $TSV"
}

cleanup() {
  [ -n "${SENDER_PID:-}" ] && kill -TERM "$SENDER_PID" 2>/dev/null
  stop_server
}

main() {
  check_tools
  [ "$PER" -ge 1 ] || die "K must be at least CLIENTS"
  SECRET=$(openssl rand -base64 32)
  trap cleanup EXIT
  [ -s "$TSV" ] || printf 'time\tN\tserver\tfigure\tvalue\tK\tclients\n' >"$TSV"
  log "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
  local s
  for s in $SERVERS; do bench_server "$s"; done
  if [ "$BIG_N" != 0 ]; then for s in $BIG_SERVERS; do bench_big "$s"; done; fi
  read -r FSYNC_MED FSYNC_P90 <<<"$($CLIENT fsync "$OUT" --count 200)"
  put 0 disk fsync_median_ms "$FSYNC_MED"
  put 0 disk fsync_p90_ms "$FSYNC_P90"
  if [ "$CRASH" != 0 ]; then crash_loop; fi
  report
  [ "${CRASH_FAILED:-0}" = 0 ] || { echo "update.sh: crash loop FAILED (see above)" >&2; exit 1; }
}

main
