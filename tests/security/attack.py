#!/usr/bin/env python3
"""The outside review's attacks, against the real binary with API tokens on, as an attacker would run them.

Starts `imageproc serve` with a token on a free port (DATABASE_URL and IMAGEPROC_BINARY from the environment),
stores two originals of 10 MiB and 40 MiB (incompressible PNGs made here), and checks:

- token bypass: every odd spelling of the protected routes is refused (400) or asks for the token (401);
- memory: 8 unauthenticated connections declaring 50 MiB, 24 pipelined downloads of the 10 MiB original left
  unread on one connection, and 10 slow readers of the 40 MiB original, all at once, grow the server's resident
  memory by less than 64 MiB (its peak, sampled every 50 ms);
- the server still answers everyone afterwards.

Standard library only. Prints one line per check and `N passed, N failed`; exits non-zero on any failure.
"""

import os
import random
import socket
import struct
import subprocess
import sys
import time
import urllib.request
import zlib

TOKEN = "attack-test-token"
MIB = 1024 * 1024
results = []


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def noise_png(side, seed):
    """An RGB PNG of random pixels, stored uncompressed: about 3 × side² bytes."""
    rng = random.Random(seed)
    raw = b"".join(b"\x00" + rng.randbytes(side * 3) for _ in range(side))
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 0)) + chunk(b"IEND", b"")


def resident_bytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def request(port, method, target, headers=(), body=b"", timeout=30):
    """One request on its own connection; returns (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        head = f"{method} {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
        for name, value in headers:
            head += f"{name}: {value}\r\n"
        if body or method == "POST":
            head += f"Content-Length: {len(body)}\r\n"
        s.sendall(head.encode() + b"\r\n" + body)
        data = b""
        while True:
            part = s.recv(1 << 20)
            if not part:
                break
            data += part
    head, _, rest = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    return status, lines[1:], rest


def main():
    binary = os.environ["IMAGEPROC_BINARY"]
    port = free_port()
    env = dict(os.environ, IMAGEPROC_API_TOKENS=TOKEN, IMAGEPROC_LOG_LEVEL="warning")
    server = subprocess.Popen(
        [binary, "serve", "--host", "127.0.0.1", "--port", str(port)], env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                if urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1).status == 200:
                    break
            except OSError:
                time.sleep(0.1)
        auth = [("Authorization", f"Bearer {TOKEN}")]
        ids = {}
        images = {}
        for name, side in (("10MiB", 1870), ("40MiB", 3740)):
            image = noise_png(side, side)
            images[name] = image
            status, _, body = request(
                port, "POST", "/api/images?op=resize&width=64", auth + [("Content-Type", "image/png")], image)
            check(f"upload the {name} original ({len(image) // MIB} MiB)", status == 202, str(status))
            ids[name] = body.split(b'"id":"')[1].split(b'"')[0].decode()

        bypass(port, ids["10MiB"])
        memory(port, server.pid, ids)
        status, _, _ = request(port, "GET", "/api/images", auth)
        check("the server still answers afterwards", status == 200 and server.poll() is None, str(status))
        status, _, body = request(port, "GET", f"/api/images/{ids['40MiB']}/original", auth, timeout=120)
        check("a reader that reads gets the 40 MiB original, byte for byte", status == 200 and body == images["40MiB"],
              f"{status}, {len(body)} of {len(images['40MiB'])} bytes")
    finally:
        server.terminate()
        server.wait(timeout=30)
    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def bypass(port, image_id):
    paths = ["/api/images", f"/api/images/{image_id}", f"/api/images/{image_id}/original"]
    leaks = []
    for path in paths:
        tail = path[1:]
        for target in [
            "/" + path, "/%2F" + tail, "/%2f" + tail, path + "/", "/." + path, "/x/.." + path,
            path.replace("/", "//"), "http://x/" + path, "HTTP://X" + path, "/%2e" + path,
            path.replace("a", "%61", 1), path.replace("/", "%2F"), path + "%00", "/api/./" + path[5:],
        ]:
            for method in ("GET", "DELETE"):
                status, _, _ = request(port, method, target)
                if status not in (400, 401, 404, 405):
                    leaks.append(f"{method} {target} → {status}")
    check("no spelling of a protected route gets past the token", not leaks, "; ".join(leaks[:5]))


def memory(port, pid, ids):
    baseline = resident_bytes(pid)
    sockets = []
    # 8 unauthenticated uploads declaring 50 MiB: answered 401 from their heads, nothing reserved.
    for _ in range(8):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"POST /api/images HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                  b"Content-Length: 52428800\r\nContent-Type: image/jpeg\r\n\r\n")
        sockets.append(s)
    # 24 pipelined downloads of the 10 MiB original on one connection, never read.
    pipelined = socket.socket()
    pipelined.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    pipelined.connect(("127.0.0.1", port))
    one = f"GET /api/images/{ids['10MiB']}/original HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    pipelined.sendall(one.encode() * 24)
    sockets.append(pipelined)
    # 10 slow readers of the 40 MiB original, one connection each, reading nothing.
    for _ in range(10):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        s.connect(("127.0.0.1", port))
        s.sendall(f"GET /api/images/{ids['40MiB']}/original HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Bearer {TOKEN}\r\n\r\n".encode())
        sockets.append(s)
    peak = baseline
    deadline = time.monotonic() + 6
    while time.monotonic() < deadline:
        peak = max(peak, resident_bytes(pid))
        time.sleep(0.05)
    grown = peak - baseline
    check("8 unauthenticated 50 MiB uploads, 24 unread pipelined downloads and 10 slow readers grow RSS < 64 MiB",
          grown < 64 * MIB, f"baseline {baseline / MIB:.0f} MiB, peak {peak / MIB:.0f} MiB, grown {grown / MIB:.1f} MiB")
    refused = 0
    for s in sockets[:8]:
        s.settimeout(5)
        try:
            refused += s.recv(64).startswith(b"HTTP/1.1 401")
        except OSError:
            pass
    check("the unauthenticated uploads were answered 401 without 100 Continue", refused == 8, f"{refused} of 8")
    for s in sockets:
        s.close()


if __name__ == "__main__":
    sys.exit(main())
