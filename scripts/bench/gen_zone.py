#!/usr/bin/env python3
"""Deterministic benchmark zone and dnsperf query file for polyzone.

Zone (BIND master format) for ZONE with N generated records plus a fixed
head: SOA, two apex NS with in-zone glue (A + AAAA), apex MX, a wildcard
(*.any -> A, TXT), and a delegation (deleg. NS to two in-bailiwick name
servers with A/AAAA glue).

Generated record i lives at "r<i>" and its type follows a repeating cycle of
ten: A A A A AAAA AAAA MX TXT TXT CNAME. MX and CNAME targets point at
A records of the same cycle, so every chain ends inside the zone.

Query file (lines "name TYPE", the format of dnsperf -d): a fraction --nx of
names that do not exist (NXDOMAIN), 1% wildcard hits and 1% names below the
delegation (referrals) when --nx > 0, the rest existing names with their own
type. Same arguments and seed -> byte-identical output.

  gen_zone.py -n 10000 -o bench.test.zone [-z bench.test] \
      [-q queries.txt] [--nq 200000] [--nx 0.10] [--seed 7] [--serial 1]
"""
import argparse
import random
import sys

CYCLE = ("A", "A", "A", "A", "AAAA", "AAAA", "MX", "TXT", "TXT", "CNAME")
# Offsets inside a cycle of ten that hold an A record (targets for MX/CNAME).
A_OFFSETS = [k for k, t in enumerate(CYCLE) if t == "A"]


def record_type(i):
    return CYCLE[i % len(CYCLE)]


def a_target(i):
    """Name of an A record in the same cycle as record i."""
    base = i - i % len(CYCLE)
    return "r%d" % (base + A_OFFSETS[(i // len(CYCLE)) % len(A_OFFSETS)])


def rdata(i, rtype):
    if rtype == "A":
        return "10.%d.%d.%d" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
    if rtype == "AAAA":
        return "2001:db8:%x::%x" % ((i >> 16) & 0xFFFF, i & 0xFFFF)
    if rtype == "MX":
        return "%d %s" % (10 + i % 7, a_target(i))
    if rtype == "TXT":
        return '"record %d" "padding to give the rdata a realistic size"' % i
    if rtype == "CNAME":
        return a_target(i)
    raise ValueError(rtype)


def write_zone(out, zone, n, serial):
    w = out.write
    w("$ORIGIN %s.\n$TTL 3600\n" % zone)
    w("@ 3600 IN SOA ns1 hostmaster %d 7200 1800 1209600 600\n" % serial)
    w("@ IN NS ns1\n@ IN NS ns2\n@ IN MX 5 mx\n")
    w("ns1 IN A 127.0.0.53\nns1 IN AAAA ::1\nns2 IN A 127.0.0.54\nmx IN A 10.254.0.1\n")
    w("*.any IN A 10.254.0.2\n*.any IN TXT \"synthesised\"\n")
    w("deleg IN NS a.ns.deleg\ndeleg IN NS b.ns.deleg\n")
    w("a.ns.deleg IN A 10.254.0.3\nb.ns.deleg IN AAAA 2001:db8:ffff::3\n")
    for i in range(n):
        t = record_type(i)
        w("r%d IN %s %s\n" % (i, t, rdata(i, t)))


def write_queries(out, zone, n, count, nx, seed):
    rnd = random.Random(seed)
    extra = 0.01 if nx > 0 else 0.0
    for _ in range(count):
        x = rnd.random()
        if x < nx:
            out.write("missing-%d.%s A\n" % (rnd.randrange(1 << 30), zone))
        elif x < nx + extra:
            out.write("w%d.any.%s A\n" % (rnd.randrange(1 << 20), zone))
        elif x < nx + 2 * extra:
            out.write("host%d.deleg.%s A\n" % (rnd.randrange(1000), zone))
        else:
            i = rnd.randrange(n)
            out.write("r%d.%s %s\n" % (i, zone, record_type(i)))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", "--records", type=int, required=True, help="generated records (>= 1)")
    ap.add_argument("-z", "--zone", default="bench.test")
    ap.add_argument("-o", "--out", required=True, help="zone file ('-' = stdout)")
    ap.add_argument("-q", "--queries", help="also write a dnsperf query file here")
    ap.add_argument("--nq", type=int, default=200000, help="lines in the query file")
    ap.add_argument("--nx", type=float, default=0.10, help="fraction of NXDOMAIN queries (0..1)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--serial", type=int, default=1)
    a = ap.parse_args()
    if a.records < 1 or not 0.0 <= a.nx <= 0.98:
        ap.error("need -n >= 1 and 0 <= --nx <= 0.98")
    zone = a.zone.rstrip(".").lower()
    if a.out == "-":
        write_zone(sys.stdout, zone, a.records, a.serial)
    else:
        with open(a.out, "w", buffering=1 << 20) as f:
            write_zone(f, zone, a.records, a.serial)
    if a.queries:
        with open(a.queries, "w", buffering=1 << 20) as f:
            write_queries(f, zone, a.records, a.nq, a.nx, a.seed)


if __name__ == "__main__":
    main()
