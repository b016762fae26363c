# bench/lib.sh: the setup bench.sh and peak.sh share (sourced; `here` is bench/).

# bench/.venv with Pillow, pyvips (pyvips-binary's libvips), numpy and matplotlib, from PyPI.
bench_venv() {
    if [[ ! -x "$here/.venv/bin/python" ]]; then
        python3 -m venv "$here/.venv"
        "$here/.venv/bin/pip" install --quiet pillow pyvips pyvips-binary numpy matplotlib
    fi
}

# The 16 JPEG photos of Debian's mate-backgrounds in bench/photos: from /usr/share/backgrounds/mate, or
# apt-get download + dpkg -x without root.
bench_photos() {
    if compgen -G "$here/photos/*.jpg" > /dev/null; then
        return
    fi
    mkdir -p "$here/photos"
    local source=/usr/share/backgrounds/mate
    local work=""
    if [[ ! -d "$source" ]]; then
        work=$(mktemp -d)
        (cd "$work" && apt-get download mate-backgrounds > /dev/null && dpkg -x mate-backgrounds_*.deb extracted)
        source="$work/extracted/usr/share/backgrounds/mate"
    fi
    find "$source" -name '*.jpg' -exec cp {} "$here/photos/" \;
    if [[ -n "$work" ]]; then
        rm -rf "$work"
    fi
}
