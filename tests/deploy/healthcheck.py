"""The Dockerfile's HEALTHCHECK command, exactly as the Dockerfile writes it, must pass against a server that answers
/healthz with 200 and fail against 503 and against a closed port. Run from the repository's root by
scripts/check-deploy.sh (make deploy-check)."""
import http.server, json, os, socket, subprocess, threading

text = open("Dockerfile").read().replace("\\\n", " ")
line = next(l for l in text.splitlines() if l.startswith("HEALTHCHECK"))
argv = json.loads(line[line.index("CMD") + 3:])

class Handler(http.server.BaseHTTPRequestHandler):
    status = 200
    def do_GET(self):
        code = Handler.status if self.path == "/healthz" else 404
        self.send_response(code)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
threading.Thread(target=server.serve_forever, daemon=True).start()
port = server.server_address[1]

def probe(port):
    return subprocess.run(argv, env={**os.environ, "PORT": str(port)}, timeout=10).returncode

with socket.socket() as unused:
    unused.bind(("127.0.0.1", 0))
    closed_port = unused.getsockname()[1]
results = {"200": probe(port)}
Handler.status = 503
results["503"] = probe(port)
results["closed port"] = probe(closed_port)
server.shutdown()
print(results)
assert results["200"] == 0, "probe failed against a healthy server"
assert results["503"] != 0, "probe passed against a 503"
assert results["closed port"] != 0, "probe passed with nothing listening"
print("HEALTHCHECK passes on 200, fails on 503 and on a closed port")
