#!/usr/bin/env python3
"""Safe by default: `imageproc serve` binds 127.0.0.1 unless told otherwise, and refuses to serve an open API on any
other address. Runs the real binary (IMAGEPROC_BINARY, DATABASE_URL from the environment) as a user would start it:

- no --host, no HOST: it listens on 127.0.0.1 only (this machine's other address is refused);
- --host 0.0.0.0 (and HOST=0.0.0.0, and odd spellings of a reachable address) without tokens: it exits at once
  with a message naming the way out, having listened nowhere;
- with IMAGEPROC_ALLOW_ANONYMOUS=1 or --allow-anonymous it starts and warns; with tokens it starts, no warning,
  and the API asks for the token; another loopback address (127.0.0.2) needs no tokens.

Standard library only. Prints one line per check and `N passed, N failed`; exits non-zero on any failure.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

results = []
BINARY = os.environ["IMAGEPROC_BINARY"]


def check(name, ok, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def other_address():
    """An IPv4 address of this machine that is not loopback, or None."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: nothing is sent, the kernel only picks the source address
            address = s.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def accepts(host, port):
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


class Server:
    def __init__(self, arguments, environment=None):
        self.port = free_port()
        env = {key: value for key, value in os.environ.items()
               if key not in ("HOST", "IMAGEPROC_API_TOKENS", "IMAGEPROC_API_TOKENS_FILE", "IMAGEPROC_ALLOW_ANONYMOUS")}
        env.update(environment or {})
        self.process = subprocess.Popen([BINARY, "serve", "--port", str(self.port), "--workers", "1", *arguments],
                                        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)

    def wait_listening(self, host="127.0.0.1"):
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and self.process.poll() is None:
            if accepts(host, self.port):
                return True
            time.sleep(0.1)
        return False

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
        try:
            _, errors = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, errors = self.process.communicate()
        return errors


def status(port, path, token=None):
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def main():
    other = other_address()

    server = Server([])
    listening = server.wait_listening()
    reachable_elsewhere = accepts(other, server.port) if other else None
    server.stop()
    check("by default it listens on 127.0.0.1", listening)
    check("by default this machine's other address is refused", reachable_elsewhere is False,
          f"{other}: {'accepted' if reachable_elsewhere else 'refused'}" if other else "no other address here")

    # What the refusal must say: how to serve on purpose, or what is wrong with the value given.
    open_api = ["without API tokens", "--allow-anonymous"]
    for name, arguments, environment, says in [
        ("--host 0.0.0.0", ["--host", "0.0.0.0"], {}, open_api),
        ("HOST=0.0.0.0", [], {"HOST": "0.0.0.0"}, open_api),
        ("--host 127.1 (an odd spelling)", ["--host", "127.1"], {}, ["--host (HOST) must be an IPv4 address"]),
        ("--host 0", ["--host", "0"], {}, ["--host (HOST) must be an IPv4 address"]),
        ("IMAGEPROC_ALLOW_ANONYMOUS=yes (not a yes it knows)", ["--host", "0.0.0.0"],
         {"IMAGEPROC_ALLOW_ANONYMOUS": "yes"}, ["IMAGEPROC_ALLOW_ANONYMOUS) must be 1, true, 0 or false"]),
    ] + ([(f"--host {other}", ["--host", other], {}, open_api)] if other else []):
        server = Server(arguments, environment)
        try:
            code = server.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            code = None
        errors = server.stop()
        check(f"{name} without tokens refuses to start, saying how", code not in (None, 0) and
              all(phrase in errors for phrase in says),
              f"exit {code}: {errors.strip().splitlines()[0] if errors.strip() else ''}"[:200])

    for name, arguments, environment in [
        ("IMAGEPROC_ALLOW_ANONYMOUS=1", [], {"HOST": "0.0.0.0", "IMAGEPROC_ALLOW_ANONYMOUS": "1"}),
        ("--allow-anonymous", ["--host", "0.0.0.0", "--allow-anonymous"], {}),
    ]:
        server = Server(arguments, environment)
        up = server.wait_listening() and status(server.port, "/healthz") == 200
        errors = server.stop()
        check(f"{name} starts on 0.0.0.0 and warns", up and "serving without API tokens" in errors)

    server = Server(["--host", "0.0.0.0"], {"IMAGEPROC_API_TOKENS": "exposure-test-token"})
    up = server.wait_listening()
    asks = status(server.port, "/api/images") == 401 and status(server.port, "/api/images", "exposure-test-token") in (
        200, 503)
    errors = server.stop()
    check("with tokens it starts on 0.0.0.0, asks for the token, does not warn",
          up and asks and "serving without API tokens" not in errors)

    server = Server(["--host", "127.0.0.2"])
    up = server.wait_listening("127.0.0.2")
    server.stop()
    check("another loopback address (127.0.0.2) needs no tokens", up)

    failed = results.count(False)
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
