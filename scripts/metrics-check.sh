#!/usr/bin/env bash
# Parses a running imageproc's /metrics with prometheus_client's parser and checks the
# counters moved. Usage: IMAGEPROC_URL=http://127.0.0.1:PORT scripts/metrics-check.sh
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -n "${IMAGEPROC_URL:-}" ]] || die "set IMAGEPROC_URL to the base URL of a running imageproc"
python="$(python_venv metrics "$REPO_ROOT/tests/metrics/requirements.txt")"
"$python" "$REPO_ROOT/tests/metrics/check_metrics.py" "$IMAGEPROC_URL"
