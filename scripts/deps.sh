#!/usr/bin/env bash
# Installs the system packages the build and the tests need, and only those missing.
# Usage: scripts/deps.sh [extra-package ...]
# Debian/Ubuntu only (dpkg + apt-get); uses sudo when not root. Safe without a terminal.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

packages=(libpq-dev libjpeg-dev libpng-dev postgresql pkg-config "$@")

if ! command -v dpkg >/dev/null || ! command -v apt-get >/dev/null; then
    die "not a Debian/Ubuntu system; install these yourself: ${packages[*]}"
fi

missing=()
for package in "${packages[@]}"; do
    # `dpkg -s` also lists removed-but-configured packages; only "install ok installed" counts.
    if [[ "$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null)" != "install ok installed" ]]; then
        missing+=("$package")
    fi
done
if ((${#missing[@]} == 0)); then
    exit 0
fi

sudo=()
if ! is_root; then
    command -v sudo >/dev/null || die "missing packages (${missing[*]}) and no sudo to install them; run as root"
    sudo=(sudo)
fi
log "installing ${missing[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
