#!/usr/bin/env python3
"""Captures TSIG interop vectors from real tools for src/server/tsig/vectors.rs.

What it records (all on 127.0.0.1, nothing leaves the host):
  1. requests: a signed SOA query from `dig -y` and from `kdig -y` for each
     of the six algorithms, dig's truncated-MAC spellings (hmac-sha256-128,
     ...), a mixed-case key name, UPDATEs from `nsupdate -y` and
     `knsupdate -y`, and AXFR requests from dig and kdig. A socket
     receives the message and the client is left to time out.
  2. answers from Knot `knotd` and BIND `named` (each started here in the
     foreground on a free port, stopped by PID, its temp dir removed): the
     captured queries are replayed and the signed answers recorded; an
     AXFR over TCP of a zone big enough for several messages; named's
     answer to the UPDATE; named's BADSIG and BADKEY answers (dig with a
     wrong secret / an unknown key name) and its BADTIME answer to a query
     signed here, in Python, 1000 s in the past.

Usage: scripts/tsig/capture_vectors.py > src/server/tsig/vectors.rs
Secrets are fixed (`secret()`); times, IDs, cookies and MACs change per run.
"""
import base64
import hashlib
import hmac
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

ALGS = ["hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"]
OUT_LEN = {"hmac-md5": 16, "hmac-sha1": 20, "hmac-sha224": 28, "hmac-sha256": 32,
           "hmac-sha384": 48, "hmac-sha512": 64}
HASH = {"hmac-md5": "md5", "hmac-sha1": "sha1", "hmac-sha224": "sha224",
        "hmac-sha256": "sha256", "hmac-sha384": "sha384", "hmac-sha512": "sha512"}
ZONE = "example.test"


def secret(alg):
    """A fixed secret per algorithm, as long as the hash output."""
    return base64.b64encode(hashlib.sha512(("polyzone-" + alg).encode()).digest()[:OUT_LEN[alg]]).decode()


def key_name(alg):
    return "k-" + alg.split("-")[1] + "."


def free_port():
    """A port free for both UDP and TCP, below the ephemeral range (named
    binds both, and an ephemeral port may be taken for TCP meanwhile)."""
    import random
    for _ in range(100):
        port = random.randint(20000, 30000)
        try:
            for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                s = socket.socket(socket.AF_INET, kind)
                s.bind(("127.0.0.1", port))
                s.close()
            return port
        except OSError:
            continue
    raise RuntimeError("no free port")


def capture_udp(cmd_for_port):
    """Runs a client against a socket that never answers; returns its first datagram."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(5)
    port = s.getsockname()[1]
    p = subprocess.Popen(cmd_for_port(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        data, _ = s.recvfrom(65535)
    finally:
        p.kill()
        p.wait()
        s.close()
    return data


def capture_udp_stdin(cmd, script):
    """As capture_udp for nsupdate-like tools that read commands on stdin
    (`%d` in `script` is the port)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(5)
    port = s.getsockname()[1]
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        p.stdin.write((script % port).encode())
        p.stdin.close()
        data, _ = s.recvfrom(65535)
    finally:
        p.kill()
        p.wait()
        s.close()
    return data


def capture_tcp(cmd_for_port):
    """As capture_udp, over TCP: one length-prefixed message."""
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.bind(("127.0.0.1", 0))
    ls.listen(1)
    ls.settimeout(5)
    port = ls.getsockname()[1]
    p = subprocess.Popen(cmd_for_port(port), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        c, _ = ls.accept()
        c.settimeout(5)
        n = struct.unpack("!H", recv_exact(c, 2))[0]
        data = recv_exact(c, n)
        c.close()
    finally:
        p.kill()
        p.wait()
        ls.close()
    return data


def recv_exact(c, n):
    b = b""
    while len(b) < n:
        chunk = c.recv(n - len(b))
        if not chunk:
            raise EOFError("connection closed")
        b += chunk
    return b


def udp_exchange(port, msg):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(5)
    s.sendto(msg, ("127.0.0.1", port))
    data, _ = s.recvfrom(65535)
    s.close()
    return data


def tcp_stream(port, msg):
    """Sends one message over TCP, returns every answer message until the closing SOA."""
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    c.sendall(struct.pack("!H", len(msg)) + msg)
    out, soas = [], 0
    while soas < 2:
        n = struct.unpack("!H", recv_exact(c, 2))[0]
        m = recv_exact(c, n)
        out.append(m)
        soas += count_soa_answers(m)
        if m[3] & 0x0F:  # an error rcode ends the stream
            break
    c.close()
    return out


def skip_name(m, p):
    while True:
        l = m[p]
        if l & 0xC0 == 0xC0:
            return p + 2
        if l == 0:
            return p + 1
        p += 1 + l


def count_soa_answers(m):
    qd, an = struct.unpack("!HH", m[4:8])
    p = 12
    for _ in range(qd):
        p = skip_name(m, p) + 4
    n = 0
    for _ in range(an):
        p = skip_name(m, p)
        t, _, _, rdlen = struct.unpack("!HHIH", m[p:p + 10])
        n += t == 6
        p += 10 + rdlen
    return n


def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def py_sign(msg, alg, kname, secret_b64, t):
    """An independent TSIG signer (RFC 8945 §4.3.3) for the BADTIME probe."""
    alg_name = wire_name(alg) if alg != "hmac-md5" else wire_name("hmac-md5.sig-alg.reg.int")
    variables = (wire_name(kname.lower()) + struct.pack("!HI", 255, 0) + alg_name
                 + struct.pack("!HIH", t >> 32, t & 0xFFFFFFFF, 300) + struct.pack("!HH", 0, 0))
    mac = hmac.new(base64.b64decode(secret_b64), msg + variables, HASH[alg]).digest()
    rdata = (alg_name + struct.pack("!HIH", t >> 32, t & 0xFFFFFFFF, 300) + struct.pack("!H", len(mac))
             + mac + msg[0:2] + struct.pack("!HH", 0, 0))
    rr = wire_name(kname) + struct.pack("!HHIH", 250, 255, 0, len(rdata)) + rdata
    ar = struct.unpack("!H", msg[10:12])[0] + 1
    return msg[:10] + struct.pack("!H", ar) + msg[12:] + rr, mac


def soa_query(qid):
    return struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + wire_name(ZONE) + struct.pack("!HH", 6, 1)


def start_named(d, port):
    keys = "".join('key "%s" { algorithm %s; secret "%s"; };\n' % (key_name(a).rstrip("."), a, secret(a))
                   for a in ALGS)
    # Truncated-MAC keys: BIND spells them hmac-sha256-128 etc.
    keys += 'key "k-trunc." { algorithm hmac-sha256-128; secret "%s"; };\n' % secret("hmac-sha256")
    write_zone(d)
    conf = keys + """
options {
    directory "%(d)s";
    listen-on port %(port)d { 127.0.0.1; };
    listen-on-v6 { none; };
    pid-file "%(d)s/named.pid";
    session-keyfile "%(d)s/session.key";
    managed-keys-directory "%(d)s";
    recursion no;
    dnssec-validation no;
    notify no;
    allow-transfer { key "k-sha256"; };
};
controls { };
zone "%(zone)s" { type primary; file "%(d)s/example.test.zone"; allow-update { key "k-sha256"; }; };
""" % {"d": d, "port": port, "zone": ZONE}
    with open(os.path.join(d, "named.conf"), "w") as f:
        f.write(conf)
    log = open(os.path.join(d, "named.log"), "w")
    p = subprocess.Popen(["named", "-g", "-n", "1", "-c", os.path.join(d, "named.conf")],
                         stdout=log, stderr=subprocess.STDOUT)
    return wait_soa(port, p, d, "named")


def write_zone(d):
    zone = ["$TTL 300", "@ SOA ns1 hostmaster 1 3600 600 86400 300", "@ NS ns1", "ns1 A 192.0.2.1"]
    # 1,000 TXT records: about 45 KB, three AXFR messages from named (it
    # fills ~16 KB each), one from knotd (it fills up to 64 KB).
    zone += ["r%d TXT \"record %d padding padding padding\"" % (i, i) for i in range(1000)]
    with open(os.path.join(d, "example.test.zone"), "w") as f:
        f.write("\n".join(zone) + "\n")


def wait_soa(port, proc, d, what):
    for _ in range(100):
        try:
            r = udp_exchange(port, soa_query(1))
            if r[2] & 0x04:  # AA
                return proc
        except (socket.timeout, ConnectionRefusedError):
            pass
        time.sleep(0.1)
    proc.terminate()
    raise RuntimeError(what + " did not start; see " + d)


def start_knot(d, port):
    os.makedirs(os.path.join(d, "db"), exist_ok=True)
    write_zone(d)
    keys = "".join("  - id: %s\n    algorithm: %s\n    secret: %s\n" % (key_name(a), a, secret(a)) for a in ALGS)
    conf = """server:
    rundir: "%(d)s"
    listen: 127.0.0.1@%(port)d
database:
    storage: "%(d)s/db"
log:
  - target: stderr
    any: warning
key:
%(keys)sacl:
  - id: xfr
    address: 127.0.0.0/8
    key: [%(keynames)s]          # knotd answers BADKEY for keys no ACL names
    action: transfer
template:
  - id: default
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: %(zone)s
    file: "%(d)s/example.test.zone"
    acl: xfr
""" % {"d": d, "port": port, "keys": keys, "zone": ZONE, "keynames": ", ".join(key_name(a) for a in ALGS)}
    with open(os.path.join(d, "knot.conf"), "w") as f:
        f.write(conf)
    log = open(os.path.join(d, "knot.log"), "w")
    p = subprocess.Popen(["knotd", "-c", os.path.join(d, "knot.conf")], stdout=log, stderr=subprocess.STDOUT)
    return wait_soa(port, p, d, "knotd")


def main():
    vectors = []  # (const name, description, bytes)

    def add(name, desc, data):
        vectors.append((name, desc, data))

    dig_q, kdig_q = {}, {}
    for a in ALGS:
        y = "%s:%s:%s" % (a, key_name(a), secret(a))
        q = capture_udp(lambda p: ["dig", "-y", y, "@127.0.0.1", "-p", str(p), "+tries=1", "+time=2",
                                   ZONE, "SOA"])
        dig_q[a] = q
        add("DIG_" + a.upper().replace("-", "_"), "dig -y %s:%s:<secret> %s SOA" % (a, key_name(a), ZONE), q)
        q = capture_udp(lambda p: ["kdig", "-y", y, "@127.0.0.1", "-p", str(p), "+retry=0", "+timeout=2",
                                   ZONE, "SOA"])
        kdig_q[a] = q
        add("KDIG_" + a.upper().replace("-", "_"), "kdig -y %s:%s:<secret> %s SOA" % (a, key_name(a), ZONE), q)
    for a, bits in [("hmac-sha256", 128), ("hmac-sha1", 80), ("hmac-sha512", 256)]:
        y = "%s-%d:%s:%s" % (a, bits, key_name(a), secret(a))
        q = capture_udp(lambda p: ["dig", "-y", y, "@127.0.0.1", "-p", str(p), "+tries=1", "+time=2",
                                   ZONE, "SOA"])
        add("DIG_TRUNC_%s_%d" % (a.upper().replace("-", "_"), bits),
            "dig -y %s-%d:%s:<secret> (MAC truncated to %d bits)" % (a, bits, key_name(a), bits), q)
    y = "hmac-sha256:K-Sha256.:" + secret("hmac-sha256")
    q = capture_udp(lambda p: ["dig", "-y", y, "@127.0.0.1", "-p", str(p), "+tries=1", "+time=2", ZONE, "SOA"])
    add("DIG_MIXED_CASE_KEY", "dig -y hmac-sha256:K-Sha256.:<secret> (dig sends the name lowercased)", q)

    upd = "server 127.0.0.1 %d\nzone example.test.\nupdate add new.example.test. 300 A 192.0.2.7\nsend\n"
    y = "hmac-sha256:k-sha256.:" + secret("hmac-sha256")
    nsupdate_q = capture_udp_stdin(["nsupdate", "-y", y, "-t", "2"], upd)
    add("NSUPDATE_Q", "nsupdate -y hmac-sha256:k-sha256.:<secret>: update add new.example.test. A", nsupdate_q)
    knsupdate_q = capture_udp_stdin(["knsupdate", "-y", y, "-t", "2", "-r", "0"], upd)
    add("KNSUPDATE_Q", "knsupdate -y hmac-sha256:k-sha256.:<secret>: the same update", knsupdate_q)
    kdig_axfr_q = capture_tcp(lambda p: ["kdig", "-y", y, "@127.0.0.1", "-p", str(p), "+retry=0",
                                         "+timeout=2", ZONE, "AXFR"])
    add("KDIG_AXFR_Q", "kdig -y hmac-sha256:k-sha256.:<secret> %s AXFR" % ZONE, kdig_axfr_q)

    d = tempfile.mkdtemp(prefix="tsig-knot-")
    port = free_port()
    knot = start_knot(d, port)
    try:
        for a in ALGS:
            add("KNOT_R_" + a.upper().replace("-", "_"), "knotd's signed answer to KDIG_%s" % a.upper().replace("-", "_"),
                udp_exchange(port, kdig_q[a]))
        stream = tcp_stream(port, kdig_axfr_q)
        for i, m in enumerate(stream):
            add("KNOT_AXFR_R%d" % i, "knotd's AXFR message %d of %d" % (i + 1, len(stream)), m)
    finally:
        knot.terminate()
        knot.wait()
        shutil.rmtree(d, ignore_errors=True)

    d = tempfile.mkdtemp(prefix="tsig-named-")
    port = free_port()
    named = start_named(d, port)
    try:
        for a in ALGS:
            add("NAMED_R_" + a.upper().replace("-", "_"), "named's signed answer to DIG_%s" % a.upper().replace("-", "_"),
                udp_exchange(port, dig_q[a]))
        y = "hmac-sha256:k-sha256.:" + secret("hmac-sha256")
        axfr_q = capture_tcp(lambda p: ["dig", "+tcp", "-y", y, "@127.0.0.1", "-p", str(p), "+tries=1",
                                        "+time=2", ZONE, "AXFR"])
        stream = tcp_stream(port, axfr_q)
        add("NAMED_AXFR_Q", "dig -y hmac-sha256:k-sha256.:<secret> %s AXFR" % ZONE, axfr_q)
        for i, m in enumerate(stream):
            add("NAMED_AXFR_R%d" % i, "named's AXFR message %d of %d" % (i + 1, len(stream)), m)
        add("NAMED_UPDATE_R", "named's signed answer to NSUPDATE_Q", udp_exchange(port, nsupdate_q))
        wrong = base64.b64encode(b"\x01" * 32).decode()
        q = capture_udp(lambda p: ["dig", "-y", "hmac-sha256:k-sha256.:" + wrong, "@127.0.0.1", "-p", str(p),
                                   "+tries=1", "+time=2", ZONE, "SOA"])
        add("NAMED_BADSIG_Q", "dig with a wrong secret for k-sha256.", q)
        add("NAMED_BADSIG_R", "named's BADSIG answer", udp_exchange(port, q))
        q = capture_udp(lambda p: ["dig", "-y", "hmac-sha256:no-such-key.:" + wrong, "@127.0.0.1", "-p",
                                   str(p), "+tries=1", "+time=2", ZONE, "SOA"])
        add("NAMED_BADKEY_Q", "dig with an unknown key name", q)
        add("NAMED_BADKEY_R", "named's BADKEY answer", udp_exchange(port, q))
        q, _ = py_sign(soa_query(0x5151), "hmac-sha256", "k-sha256.", secret("hmac-sha256"),
                       int(time.time()) - 1000)
        add("NAMED_BADTIME_Q", "SOA query signed (in Python) 1000 s in the past", q)
        add("NAMED_BADTIME_R", "named's BADTIME answer", udp_exchange(port, q))
    finally:
        named.terminate()
        named.wait()
        shutil.rmtree(d, ignore_errors=True)

    print("//! TSIG interop vectors captured from real tools by")
    print("//! `scripts/tsig/capture_vectors.py` (dig, nsupdate, named: BIND %s;"
          % tool_version(["dig", "-v"]))
    print("//! kdig, knsupdate, knotd: Knot %s)." % tool_version(["kdig", "-V"]))
    print("//! Generated: do not edit. Secrets: `secret(alg)` in the script.")
    print()
    for a in ALGS:
        print("pub const SECRET_%s: &str = \"%s\";" % (a.upper().replace("-", "_"), secret(a)))
    print()
    for name, desc, data in vectors:
        print("/// %s" % desc)
        print("pub const %s: &str = \"%s\";" % (name, data.hex()))
    print("pub const NAMED_AXFR_MESSAGES: usize = %d;" % len([v for v in vectors if v[0].startswith("NAMED_AXFR_R")]))
    print("pub const KNOT_AXFR_MESSAGES: usize = %d;" % len([v for v in vectors if v[0].startswith("KNOT_AXFR_R")]))


def tool_version(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    out = (r.stdout + r.stderr).strip().splitlines()
    return out[0].split()[-1] if out else "?"


if __name__ == "__main__":
    sys.exit(main())
