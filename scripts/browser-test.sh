#!/usr/bin/env bash
# The page's browser test: Selenium drives headless Chromium against a running imageproc.
# Usage: IMAGEPROC_URL=http://127.0.0.1:PORT scripts/browser-test.sh [pytest arguments...]
# Installs what is missing: Debian's chromium and chromium-driver (through scripts/deps.sh),
# and a Python venv with Selenium, pytest and Pillow under .build-tools/browser-venv.
# Screenshots go to .build/screenshots/. Exits with pytest's status.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

[[ -n "${IMAGEPROC_URL:-}" ]] || die "set IMAGEPROC_URL to the base URL of a running imageproc (e.g. http://127.0.0.1:8080)"

"$REPO_ROOT/scripts/deps.sh" chromium chromium-driver python3-venv

venv="$REPO_ROOT/.build-tools/browser-venv"
requirements="$REPO_ROOT/tests/browser/requirements.txt"
stamp="$venv/.requirements"
if [[ ! -x "$venv/bin/python" ]] || ! cmp -s "$requirements" "$stamp"; then
    log "creating the browser-test venv in $venv"
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$stamp"
fi

export IMAGEPROC_URL
export SCREENSHOT_DIR="${SCREENSHOT_DIR:-$REPO_ROOT/.build/screenshots}"
mkdir -p "$SCREENSHOT_DIR"
cd "$REPO_ROOT"
log "browser test against $IMAGEPROC_URL (screenshots in $SCREENSHOT_DIR)"
"$venv/bin/python" -m pytest -q -p no:cacheprovider tests/browser "$@"
