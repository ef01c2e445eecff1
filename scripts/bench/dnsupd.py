#!/usr/bin/env python3
"""Small DNS client for scripts/bench/update.sh (standard library only).

  dnsupd.py send   --port P --zone Z --key NAME:B64SECRET --prefix p [--count N]
                   [--acked FILE] [--rtt FILE] [--max-seconds S] [--timeout S]
      Sends single-change RFC 2136 UPDATEs (add <prefix><i>.<zone> 300 A),
      one at a time, each signed with TSIG hmac-sha256, and waits for each
      answer. An update is *acknowledged* when its answer has our ID, rcode
      NOERROR and a valid TSIG MAC over the answer; its name then goes to
      --acked (one per line, flushed at once). A failed attempt (timeout,
      refused port, bad answer) is retried with the same name, so a name is
      acknowledged at most once. Stops after --count names (0 = no limit),
      after --max-seconds, or on SIGTERM/SIGINT (finishing the current
      attempt). --rtt gets the round trip of every acknowledged update
      (seconds, one per line). Prints "sent N acked N failed_attempts N".

  dnsupd.py check  --port P --zone Z NAMEFILE...
      Queries A of every name in the files; prints "present N missing N" and
      the first missing names; exit 1 if any is missing.

  dnsupd.py qrtt   --port P --zone Z [--count N]
      Median round trip of N SOA queries (the loopback + query baseline).

  dnsupd.py fsync  DIR [--count N]
      Median / p90 time of write(4 KiB) + fsync on a file in DIR (milliseconds).

  dnsupd.py strace FILE
      Reads `strace -f -ttt -T -e trace=recvmmsg,recvfrom,recvmsg,sendto,sendmsg,
      sendmmsg,fsync,fdatasync` output of a server answering updates one at a
      time; per update: server time = end of the receive -> end of the send of
      the answer, and the fsync/fdatasync time inside it. Prints
      "updates N server_ms MEDIAN fsync_ms MEDIAN server_minus_fsync_ms MEDIAN P90".
"""
import argparse
import base64
import hashlib
import hmac
import os
import signal
import socket
import statistics
import struct
import sys
import time

STOP = False


def on_signal(_sig, _frame):
    global STOP
    STOP = True


def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.lower().encode()
    return out + b"\x00"


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1
        if n == 0:
            return off
        off += n


def read_name(msg, off):
    """Uncompressed name (as in TSIG) -> (wire bytes, next offset)."""
    start = off
    end = skip_name(msg, off)
    return msg[start:end], end


class Tsig:
    def __init__(self, spec, alg="hmac-sha256"):
        name, secret = spec.split(":", 1)
        self.name = wire_name(name)
        self.alg = wire_name(alg)
        self.secret = base64.b64decode(secret)

    def _vars(self, t, fudge, error=0, other=b""):
        return (self.name + struct.pack("!HI", 255, 0) + self.alg
                + struct.pack("!HIH", t >> 32, t & 0xFFFFFFFF, fudge)
                + struct.pack("!HH", error, len(other)) + other)

    def sign(self, msg, msg_id):
        """msg: the message without TSIG (ARCOUNT not counting it)."""
        t, fudge = int(time.time()), 300
        mac = hmac.new(self.secret, msg + self._vars(t, fudge), hashlib.sha256).digest()
        rdata = (self.alg + struct.pack("!HIH", t >> 32, t & 0xFFFFFFFF, fudge)
                 + struct.pack("!H", len(mac)) + mac + struct.pack("!HHH", msg_id, 0, 0))
        rr = self.name + struct.pack("!HHIH", 250, 255, 0, len(rdata)) + rdata
        ar = struct.unpack("!H", msg[10:12])[0]
        return msg[:10] + struct.pack("!H", ar + 1) + msg[12:] + rr, mac

    def verify(self, resp, req_mac):
        """True when the last additional RR is a TSIG with a valid MAC."""
        qd, an, ns, ar = struct.unpack("!HHHH", resp[4:12])
        if ar == 0:
            return False
        off = 12
        for _ in range(qd):
            off = skip_name(resp, off) + 4
        for _ in range(an + ns + ar - 1):
            off = skip_name(resp, off)
            rdlen = struct.unpack("!H", resp[off + 8:off + 10])[0]
            off += 10 + rdlen
        tsig_start = off
        owner, off = read_name(resp, off)
        rtype = struct.unpack("!H", resp[off:off + 2])[0]
        if rtype != 250 or owner.lower() != self.name:
            return False
        off += 10
        alg, off = read_name(resp, off)
        hi, lo, fudge, macsize = struct.unpack("!HIHH", resp[off:off + 10])
        off += 10
        mac = resp[off:off + macsize]
        off += macsize
        _orig, error, olen = struct.unpack("!HHH", resp[off:off + 6])
        other = resp[off + 6:off + 6 + olen]
        if error != 0 or alg.lower() != self.alg:
            return False
        body = resp[:10] + struct.pack("!H", ar - 1) + resp[12:tsig_start]
        want = hmac.new(self.secret,
                        struct.pack("!H", len(req_mac)) + req_mac + body
                        + self._vars((hi << 32) | lo, fudge, error, other),
                        hashlib.sha256).digest()
        return hmac.compare_digest(mac, want)


def update_msg(msg_id, zone, owner, addr):
    hdr = struct.pack("!HHHHHH", msg_id, 0x2800, 1, 0, 1, 0)  # opcode UPDATE
    zsec = wire_name(zone) + struct.pack("!HH", 6, 1)
    rr = wire_name(owner) + struct.pack("!HHIH", 1, 1, 300, 4) + socket.inet_aton(addr)
    return hdr + zsec + rr


def query_msg(msg_id, name, qtype):
    return struct.pack("!HHHHHH", msg_id, 0, 1, 0, 0, 0) + wire_name(name) + struct.pack("!HH", qtype, 1)


def udp(port, timeout):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    s.settimeout(timeout)
    return s


def exchange(sock, msg, msg_id):
    """Sends msg, returns the answer with our ID or None (timeout/refused)."""
    try:
        sock.send(msg)
        while True:
            resp = sock.recv(65535)
            if len(resp) >= 12 and struct.unpack("!H", resp[:2])[0] == msg_id:
                return resp
    except (socket.timeout, ConnectionRefusedError, OSError):
        return None


def cmd_send(a):
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    key = Tsig(a.key)
    sock = udp(a.port, a.timeout)
    acked = open(a.acked, "a") if a.acked else None
    rtt = open(a.rtt, "w") if a.rtt else None
    deadline = time.monotonic() + a.max_seconds
    i, sent, failed = a.start, 0, 0
    msg_id = os.getpid() & 0xFFFF
    while not STOP and (a.count == 0 or i < a.start + a.count) and time.monotonic() < deadline:
        owner = "%s%d.%s" % (a.prefix, i, a.zone)
        msg_id = (msg_id + 1) & 0xFFFF
        req, req_mac = key.sign(update_msg(msg_id, a.zone, owner, "192.0.2.%d" % (i % 250 + 1)), msg_id)
        t0 = time.perf_counter()
        resp = exchange(sock, req, msg_id)
        dt = time.perf_counter() - t0
        sent += 1
        ok = (resp is not None and struct.unpack("!H", resp[2:4])[0] & 0xF == 0
              and key.verify(resp, req_mac))
        if not ok:
            failed += 1
            time.sleep(0.005)  # server down or refusing: do not spin
            if resp is not None:
                sock.close()
                sock = udp(a.port, a.timeout)
            continue
        if acked:
            acked.write(owner + "\n")
            acked.flush()
        if rtt:
            rtt.write("%.6f\n" % dt)
        i += 1
    if rtt:
        rtt.close()
    print("sent %d acked %d failed_attempts %d" % (sent, i - a.start, failed))


def cmd_check(a):
    sock = udp(a.port, 1.0)
    present, missing = 0, []
    msg_id = 0
    for path in a.files:
        with open(path) as f:
            for line in f:
                name = line.strip()
                if not name:
                    continue
                msg_id = (msg_id + 1) & 0xFFFF
                resp = None
                for _ in range(3):
                    resp = exchange(sock, query_msg(msg_id, name, 1), msg_id)
                    if resp is not None:
                        break
                if (resp is not None and struct.unpack("!H", resp[2:4])[0] & 0xF == 0
                        and struct.unpack("!H", resp[6:8])[0] > 0):
                    present += 1
                else:
                    missing.append(name)
    print("present %d missing %d" % (present, len(missing)))
    for name in missing[:10]:
        print("missing:", name)
    return 1 if missing else 0


def cmd_qrtt(a):
    sock = udp(a.port, 1.0)
    rtts = []
    for i in range(a.count):
        t0 = time.perf_counter()
        if exchange(sock, query_msg(i + 1, a.zone, 6), i + 1) is not None:
            rtts.append(time.perf_counter() - t0)
    print("%.3f" % (statistics.median(rtts) * 1000))


def cmd_fsync(a):
    path = os.path.join(a.dir, "fsync-probe.tmp")
    buf = os.urandom(4096)
    times = []
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        for _ in range(a.count):
            os.write(fd, buf)
            t0 = time.perf_counter()
            os.fsync(fd)
            times.append(time.perf_counter() - t0)
    finally:
        os.close(fd)
        os.unlink(path)
    times.sort()
    print("%.3f %.3f" % (statistics.median(times) * 1000, times[int(len(times) * 0.9)] * 1000))


def cmd_strace(a):
    import re
    line_re = re.compile(r"^(\d+)\s+(\d+\.\d+)\s+(.*)$")
    dur_re = re.compile(r"<(\d+\.\d+)>\s*$")
    events = []
    for line in open(a.file):
        m = line_re.match(line)
        if not m:
            continue
        ts, rest = float(m.group(2)), m.group(3)
        if "unfinished" in rest:
            continue
        d = dur_re.search(rest)
        dur = float(d.group(1)) if d else 0.0
        resumed = rest.startswith("<...")
        call = rest[5:].split()[0] if resumed else rest.split("(")[0]
        end = ts if resumed else ts + dur
        if call.startswith("recv") and re.search(r"\) = [1-9]", rest):
            events.append((end, "recv", 0.0))
        elif call.startswith("send") and re.search(r"\) = [1-9]", rest):
            events.append((end, "send", 0.0))
        elif call in ("fsync", "fdatasync"):
            events.append((end, "fsync", dur))
    events.sort()
    pending, server, sync, rest_ = [], [], [], []
    for end, kind, dur in events:
        if kind == "recv":
            pending.append([end, 0.0])
        elif kind == "fsync" and pending:
            pending[0][1] += dur
        elif kind == "send" and pending:
            t0, f = pending.pop(0)
            server.append(end - t0)
            sync.append(f)
            rest_.append(end - t0 - f)
    if not server:
        print("updates 0")
        return 1
    rest_.sort()
    print("updates %d server_ms %.3f fsync_ms %.3f server_minus_fsync_ms %.3f %.3f" % (
        len(server), statistics.median(server) * 1000, statistics.median(sync) * 1000,
        statistics.median(rest_) * 1000, rest_[int(len(rest_) * 0.9)] * 1000))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("send")
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--zone", required=True)
    s.add_argument("--key", required=True, help="NAME:BASE64SECRET (hmac-sha256)")
    s.add_argument("--prefix", required=True)
    s.add_argument("--start", type=int, default=0)
    s.add_argument("--count", type=int, default=0)
    s.add_argument("--acked")
    s.add_argument("--rtt")
    s.add_argument("--timeout", type=float, default=0.5)
    s.add_argument("--max-seconds", type=float, default=600)
    c = sub.add_parser("check")
    c.add_argument("--port", type=int, required=True)
    c.add_argument("--zone", required=True)
    c.add_argument("files", nargs="+")
    q = sub.add_parser("qrtt")
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--zone", required=True)
    q.add_argument("--count", type=int, default=200)
    f = sub.add_parser("fsync")
    f.add_argument("dir")
    f.add_argument("--count", type=int, default=200)
    t = sub.add_parser("strace")
    t.add_argument("file")
    a = ap.parse_args()
    return {"send": cmd_send, "check": cmd_check, "qrtt": cmd_qrtt, "fsync": cmd_fsync,
            "strace": cmd_strace}[a.cmd](a) or 0


if __name__ == "__main__":
    sys.exit(main())
