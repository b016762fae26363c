"""Exits 0 when a GET of the URL in argv[1] answers 2xx within a second, non-zero otherwise (connection refused,
timeout, an error status). scripts/contract-test.sh polls /healthz with it until the server is up."""
import sys
import urllib.request

urllib.request.urlopen(sys.argv[1], timeout=1)
