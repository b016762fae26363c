# shellcheck shell=bash
# bench/lib.sh: the setup bench.sh and peak.sh share (sourced), on top of scripts/lib.sh (python_venv, the throwaway
# PostgreSQL). The Python of the benchmarks, with Pillow, pyvips (pyvips-binary's libvips), numpy and matplotlib
# (bench/requirements.txt): python="$(python_venv bench "$REPO_ROOT/bench/requirements.txt")".

# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"

# The 16 JPEG photos of Debian's mate-backgrounds in bench/photos: from /usr/share/backgrounds/mate, or
# apt-get download + dpkg -x without root.
bench_photos() {
    local photos="$REPO_ROOT/bench/photos"
    if compgen -G "$photos/*.jpg" > /dev/null; then
        return
    fi
    mkdir -p "$photos"
    local source=/usr/share/backgrounds/mate
    local work=""
    if [[ ! -d "$source" ]]; then
        work=$(mktemp -d)
        (cd "$work" && apt-get download mate-backgrounds > /dev/null && dpkg -x mate-backgrounds_*.deb extracted)
        source="$work/extracted/usr/share/backgrounds/mate"
    fi
    find "$source" -name '*.jpg' -exec cp {} "$photos/" \;
    if [[ -n "$work" ]]; then
        rm -rf "$work"
    fi
}
