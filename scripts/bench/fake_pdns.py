#!/usr/bin/env python3
"""A minimal PowerDNS-API fake for the fan-out benchmark: every server id
under /api/v1/servers/<id>/ is a separate provider holding its own copy of
each zone; every request is answered after DELAY seconds (a remote
provider's round trip). It records, per server id, when each RRset name was
first written, so the benchmark can ask when all targets had a change:
GET /times?name=<fqdn> -> {"count": n, "last": unix_time_of_the_latest}.
Loopback only. Usage: fake_pdns.py PORT DELAY_MS"""
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

PORT = int(sys.argv[1])
DELAY = float(sys.argv[2]) / 1000.0
LOCK = threading.Lock()
ZONES = {}  # (server, zone) -> {(name, type): rrset}
TIMES = {}  # name -> {server: time}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, code, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def parts(self):
        p = urlparse(self.path).path.strip("/").split("/")
        # api v1 servers <id> zones <zone>
        if len(p) >= 6 and p[:3] == ["api", "v1", "servers"] and p[4] == "zones":
            return p[3], p[5]
        return None, None

    def do_GET(self):
        u = urlparse(self.path)
        if u.path == "/times":
            name = parse_qs(u.query).get("name", [""])[0]
            with LOCK:
                t = TIMES.get(name, {})
                self.reply(200, {"count": len(t), "last": max(t.values()) if t else 0})
            return
        time.sleep(DELAY)
        server, zone = self.parts()
        if server is None:
            self.reply(404, {"error": "Not Found"})
            return
        with LOCK:
            sets = list(ZONES.setdefault((server, zone), {}).values())
        self.reply(200, {"name": zone, "rrsets": sets})

    def do_PATCH(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = json.loads(self.rfile.read(n) or b"{}")
        time.sleep(DELAY)
        server, zone = self.parts()
        if server is None:
            self.reply(404, {"error": "Not Found"})
            return
        now = time.time()
        with LOCK:
            z = ZONES.setdefault((server, zone), {})
            for s in body.get("rrsets", []):
                key = (s["name"], s["type"])
                if s["changetype"] == "DELETE":
                    z.pop(key, None)
                else:
                    z[key] = {"name": s["name"], "type": s["type"], "ttl": s["ttl"], "records": s["records"]}
                    TIMES.setdefault(s["name"], {}).setdefault(server, now)
        self.reply(204)


ThreadingHTTPServer.daemon_threads = True
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
