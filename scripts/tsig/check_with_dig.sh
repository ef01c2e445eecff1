#!/usr/bin/env bash
# check_with_dig.sh - do real clients accept what polyzone's TSIG code signs?
#
# Starts examples/tsig_lab.rs on 127.0.0.1 (stopped by PID at exit) and checks:
#   - dig -y and kdig -y, all six algorithms: signed answer accepted (no
#     "could not be validated"/"failed" line, TSIG pseudo-section NOERROR);
#   - dig AXFR over TCP, 3-message stream, every message signed, and again
#     with the middle message unsigned (RFC 8945 §5.3.1): accepted;
#   - wrong secret -> BADSIG, unknown key -> BADKEY, skewed server clock ->
#     BADTIME (dig shows the error and kdig reports the TSIG error);
#   - negative control: with the lab's MACs corrupted, the same clients refuse;
#   - nsupdate -k FILE reads the BIND clause printed by `tsig_lab keygen`
#     (the same text as `polyzone tsig generate`) and signs with it.
# Usage: scripts/tsig/check_with_dig.sh   (exit 0 = all checks passed)
set -uo pipefail
cd "$(dirname "$0")/../.."
cargo build -q --example tsig_lab || exit 1
LAB=target/debug/examples/tsig_lab
PORT=${PORT:-$((20000 + RANDOM % 10000))}
T=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
fail=0
check() { # description, command output file, grep -E pattern that must match, pattern that must not
  if grep -Eq "$3" "$2" && ! grep -Eq "${4:-^\$NEVER}" "$2"; then echo "ok   $1"; else echo "FAIL $1"; tail -15 "$2" | sed 's/^/     /'; fail=1; fi
}
start() { "$LAB" serve "$PORT" "$@" 2>"$T/lab.log" & pids+=($!); sleep 0.3; }
stop() { kill "${pids[-1]}" 2>/dev/null; wait "${pids[-1]}" 2>/dev/null; unset 'pids[-1]'; }

declare -A SECRETS
keys=()
for alg in hmac-md5 hmac-sha1 hmac-sha224 hmac-sha256 hmac-sha384 hmac-sha512; do
  # A fresh key per algorithm from our own generator (bind clause -> secret).
  "$LAB" keygen "k-${alg#hmac-}" "$alg" >"$T/$alg.txt"
  SECRETS[$alg]=$(awk -F'"' '/^secret = /{print $2}' "$T/$alg.txt")
  keys+=("$alg:k-${alg#hmac-}:${SECRETS[$alg]}")
done

start "${keys[@]}"
for alg in "${!SECRETS[@]}"; do
  y="$alg:k-${alg#hmac-}:${SECRETS[$alg]}"
  dig -y "$y" @127.0.0.1 -p "$PORT" +tries=1 +time=2 www.lab.test A >"$T/out" 2>&1
  check "dig  $alg answer verified" "$T/out" 'status: NOERROR' 'could not be validated|failed|Couldn'"'"'t verify|expected a TSIG'
  kdig -y "$y" @127.0.0.1 -p "$PORT" +retry=0 +timeout=2 www.lab.test A >"$T/out" 2>&1
  check "kdig $alg answer verified" "$T/out" 'status: NOERROR' 'WARNING|failed|BADSIG|invalid'
done
y="hmac-sha256:k-sha256:${SECRETS[hmac-sha256]}"
dig -y "$y" @127.0.0.1 -p "$PORT" +tries=1 +time=2 lab.test AXFR >"$T/out" 2>&1
check "dig  AXFR 3 signed messages" "$T/out" 'XFR size: 122 records \(messages 3' 'could not be validated|failed|Couldn'"'"'t verify'
kdig -y "$y" @127.0.0.1 -p "$PORT" +retry=0 +timeout=2 lab.test AXFR >"$T/out" 2>&1
check "kdig AXFR 3 signed messages" "$T/out" 'Received .*\(3 messages, 122 records\)' 'WARNING|failed|BADSIG|invalid'
wrong="hmac-sha256:k-sha256:$(printf '%044d' 0 | tr 0 A)"
dig -y "$wrong" @127.0.0.1 -p "$PORT" +tries=1 +time=2 www.lab.test A >"$T/out" 2>&1
check "dig  wrong secret -> BADSIG" "$T/out" 'NOTAUTH' 'status: NOERROR'
kdig -y "$wrong" @127.0.0.1 -p "$PORT" +retry=0 +timeout=2 www.lab.test A >"$T/out" 2>&1
check "kdig wrong secret -> BADSIG" "$T/out" 'BADSIG'
kdig -y "hmac-sha256:no-such-key:${SECRETS[hmac-sha256]}" @127.0.0.1 -p "$PORT" +retry=0 +timeout=2 www.lab.test A >"$T/out" 2>&1
check "kdig unknown key  -> BADKEY" "$T/out" 'BADKEY'

# nsupdate reads the BIND clause we print, signs an UPDATE, and accepts the signed answer.
awk '/^key "/,/^};/' "$T/hmac-sha256.txt" >"$T/k.key"
printf 'server 127.0.0.1 %s\nzone lab.test\nupdate add x.lab.test 300 A 192.0.2.9\nsend\n' "$PORT" >"$T/upd"
timeout 10 nsupdate -k "$T/k.key" -t 2 "$T/upd" >"$T/out" 2>&1; echo "rc=$?" >>"$T/out"
check "nsupdate -k <generated clause> signed and verified" "$T/out" 'rc=0' 'could not|failed|TSIG|BADKEY|BADSIG'
stop

start "${keys[@]}" --unsigned-middle
dig -y "$y" @127.0.0.1 -p "$PORT" +tries=1 +time=2 lab.test AXFR >"$T/out" 2>&1
check "dig  AXFR with unsigned middle message" "$T/out" 'XFR size: 122 records \(messages 3' 'could not be validated|failed|Couldn'"'"'t verify'
kdig -y "$y" @127.0.0.1 -p "$PORT" +retry=0 +timeout=2 lab.test AXFR >"$T/out" 2>&1
check "kdig AXFR with unsigned middle message" "$T/out" 'Received .*\(3 messages, 122 records\)' 'WARNING|failed|BADSIG|invalid'
stop

# Negative control: the same checks fail when the server's MACs are broken.
start "${keys[@]}" --corrupt-mac
dig -y "$y" @127.0.0.1 -p "$PORT" +tries=1 +time=2 www.lab.test A >"$T/out" 2>&1
check "dig  rejects a corrupted MAC" "$T/out" 'could not be validated|failed|Couldn'"'"'t verify'
kdig -y "$y" @127.0.0.1 -p "$PORT" +retry=0 +timeout=2 www.lab.test A >"$T/out" 2>&1
check "kdig rejects a corrupted MAC" "$T/out" 'WARNING|failed|BADSIG|invalid'
dig -y "$y" @127.0.0.1 -p "$PORT" +tries=1 +time=2 lab.test AXFR >"$T/out" 2>&1
check "dig  rejects a corrupted AXFR stream" "$T/out" 'could not be validated|failed|Couldn'"'"'t verify'
timeout 10 nsupdate -k "$T/k.key" -t 2 "$T/upd" >"$T/out" 2>&1; echo "rc=$?" >>"$T/out"
check "nsupdate rejects a corrupted MAC" "$T/out" 'rc=[1-9]'
stop

start "${keys[@]}" --skew 3600
dig -y "$y" @127.0.0.1 -p "$PORT" +tries=1 +time=2 www.lab.test A >"$T/out" 2>&1
check "dig  server clock +1h -> BADTIME" "$T/out" 'BADTIME|NOTAUTH' 'status: NOERROR'
kdig -y "$y" @127.0.0.1 -p "$PORT" +retry=0 +timeout=2 www.lab.test A >"$T/out" 2>&1
check "kdig server clock +1h -> BADTIME" "$T/out" 'BADTIME'
stop
exit $fail
