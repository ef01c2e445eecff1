#!/usr/bin/env python3
"""Captures the UPDATE messages that BIND's nsupdate sends, as hex, for the
parser tests in src/server/update/tests.rs.

Runs a throwaway UDP listener on 127.0.0.1, feeds nsupdate one script per
capture, answers each message with an empty NOERROR response (so nsupdate
exits), and writes src/server/update/testdata/<name>.hex.

Usage: scripts/capture-nsupdate.py   (needs nsupdate on PATH)
"""
import os
import socket
import subprocess
import sys
import threading

OUT = os.path.join(os.path.dirname(__file__), "..", "src", "server", "update", "testdata")

# name -> (extra nsupdate arguments, script body). Each script sends one message.
CAPTURES = {
    "nsupdate-add-prereq": ([], """
zone example.com
prereq yxdomain www.example.com
prereq nxrrset www.example.com AAAA
prereq yxrrset www.example.com A 192.0.2.10
update add new.example.com 300 A 192.0.2.55
update add new.example.com 300 TXT "hello world"
update add mail.example.com 600 MX 10 new.example.com.
send
"""),
    "nsupdate-deletes": ([], """
zone example.com
prereq nxdomain gone.example.com
prereq yxrrset www.example.com A
update delete www.example.com A 192.0.2.11
update delete txt.example.com TXT
update delete a.b.ent.example.com
send
"""),
    "nsupdate-tsig": (["-y", "hmac-sha256:update-key:c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI="], """
zone example.com
update add _acme-challenge.www.example.com 60 TXT "token-123"
send
"""),
}


def serve(sock, box):
    data, peer = sock.recvfrom(65535)
    box.append(data)
    # Header only: same id, QR + opcode UPDATE, NOERROR, no sections.
    flags = 0x8000 | (5 << 11)
    sock.sendto(data[:2] + flags.to_bytes(2, "big") + bytes(8), peer)


def capture(name, args, script):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    box = []
    t = threading.Thread(target=serve, args=(sock, box), daemon=True)
    t.start()
    body = f"server 127.0.0.1 {port}\n" + script.lstrip()
    # nsupdate complains about the unsigned TSIG answer; the capture is done by then.
    subprocess.run(["nsupdate", "-t", "3", *args], input=body.encode(), capture_output=True, timeout=20)
    t.join(timeout=5)
    sock.close()
    if not box:
        sys.exit(f"{name}: nsupdate sent nothing")
    path = os.path.join(OUT, name + ".hex")
    with open(path, "w") as f:
        f.write(box[0].hex() + "\n")
    print(f"{path}: {len(box[0])} octets")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    for name, (args, script) in CAPTURES.items():
        capture(name, args, script)
