#!/usr/bin/env bash
# The page's browser test: Selenium drives headless Chromium against a running imageproc.
# Usage: IMAGEPROC_URL=http://127.0.0.1:PORT scripts/browser-test.sh [pytest arguments...]
# Installs what is missing: Debian's chromium and chromium-driver (through scripts/deps.sh),
# and a Python venv with Selenium, pytest and Pillow (tests/browser/requirements.txt) in .build-tools/venv-browser.
# Screenshots go to .build/screenshots/. Exits with pytest's status.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -n "${IMAGEPROC_URL:-}" ]] ||
    die "set IMAGEPROC_URL to the base URL of a running imageproc (e.g. http://127.0.0.1:8080)"

"$REPO_ROOT/scripts/deps.sh" chromium chromium-driver
python="$(python_venv browser "$REPO_ROOT/tests/browser/requirements.txt")"

export IMAGEPROC_URL
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-$REPO_ROOT/.build/screenshots}"
mkdir -p "$SCREENSHOT_DIR"
cd "$REPO_ROOT"
log "browser test against $IMAGEPROC_URL (screenshots in $SCREENSHOT_DIR)"
"$python" -m pytest -q -p no:cacheprovider tests/browser "$@"
