#!/usr/bin/env python3
"""Sequential RRset PATCHes over one keep-alive HTTP connection.

Usage: api_client.py polyzone|pdns HOST:PORT TOKEN ZONE COUNT [PREFIX]

Each request replaces the A RRset of a distinct name (PREFIXb0, PREFIXb1, ...) and is
sent only after the previous answer arrived, so the rate is 1 / round trip
(durability included: both servers answer after their commit). Prints one
line: `count seconds rate p50_ms p99_ms max_ms errors`.
"""
import http.client
import json
import sys
import time


def main():
    kind, addr, token, zone, count = sys.argv[1:6]
    prefix = sys.argv[6] if len(sys.argv) > 6 else ""
    count = int(count)
    host, port = addr.rsplit(":", 1)
    conn = http.client.HTTPConnection(host, int(port), timeout=30)
    if kind == "polyzone":
        path = f"/api/v1/zones/{zone}/rrsets"
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

        def body(i):
            return {"changes": [{"name": f"{prefix}b{i}", "type": "A", "ttl": 300,
                                 "records": [f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"],
                                 "changetype": "replace"}]}
    else:
        path = f"/api/v1/servers/localhost/zones/{zone}."
        headers = {"X-API-Key": token, "Content-Type": "application/json"}

        def body(i):
            return {"rrsets": [{"name": f"{prefix}b{i}.{zone}.", "type": "A", "ttl": 300,
                                "changetype": "REPLACE",
                                "records": [{"content": f"10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}",
                                             "disabled": False}]}]}
    lat = []
    errors = 0
    start = time.perf_counter()
    for i in range(count):
        data = json.dumps(body(i))
        t0 = time.perf_counter()
        conn.request("PATCH", path, body=data, headers=headers)
        r = conn.getresponse()
        r.read()
        lat.append(time.perf_counter() - t0)
        if r.status not in (200, 204):
            errors += 1
            if errors == 1:
                print(f"first error: HTTP {r.status}", file=sys.stderr)
    total = time.perf_counter() - start
    lat.sort()
    pct = lambda p: lat[min(len(lat) - 1, int(p * len(lat)))] * 1000
    print(f"{count} {total:.3f} {count / total:.0f} {pct(0.5):.2f} {pct(0.99):.2f} {lat[-1] * 1000:.2f} {errors}")


if __name__ == "__main__":
    main()
