#!/usr/bin/env bash
# make bench: sets up bench/.venv (Pillow, pyvips with libvips, numpy, matplotlib), fetches the MATE photos into
# bench/photos, builds the decode floor and the release imageproc as the container ships it, then runs bench/run.py
# (arguments pass through, e.g. --reps 7) and bench/service.py. Needs a C compiler, libjpeg headers and Swift; no
# root (apt-get download needs no root).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"

if [[ ! -x "$here/.venv/bin/python" ]]; then
    python3 -m venv "$here/.venv"
    "$here/.venv/bin/pip" install --quiet pillow pyvips pyvips-binary numpy matplotlib
fi

if ! compgen -G "$here/photos/*.jpg" > /dev/null; then
    mkdir -p "$here/photos"
    if [[ -d /usr/share/backgrounds/mate ]]; then
        source=/usr/share/backgrounds/mate
    else
        work=$(mktemp -d)
        trap 'rm -rf "$work"' EXIT
        (cd "$work" && apt-get download mate-backgrounds > /dev/null && dpkg -x mate-backgrounds_*.deb extracted)
        source="$work/extracted/usr/share/backgrounds/mate"
    fi
    find "$source" -name '*.jpg' -exec cp {} "$here/photos/" \;
fi

mkdir -p "$here/.build"
cc -O2 -o "$here/.build/floor" "$here/floor.c" -ljpeg
# The binary the container image ships (Swift's runtime linked in, as the Dockerfile builds it), in the scratch
# directory `make deploy-check` uses; it also starts faster than a dynamically linked one.
swift build -c release --static-swift-stdlib --product imageproc --scratch-path "$root/.build-static"
imageproc="$root/.build-static/release/imageproc"

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (best below 1 on a machine shared with other work)"
"$here/.venv/bin/python" "$here/run.py" --imageproc "$imageproc" \
    --floor "$here/.build/floor" "$@"

# The service under load, next to `imageproc process --threads 2`: on DATABASE_URL, or a throwaway cluster.
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"
cluster=""
# shellcheck disable=SC2329 # invoked by the EXIT trap
cleanup_cluster() {
    cluster_remove "$cluster"
}
trap cleanup_cluster EXIT
if [[ -z "${DATABASE_URL:-}" ]]; then
    cluster="$(mktemp -d /tmp/imageproc-bench-pg.XXXXXX)"
    # Durable, as in production: the test clusters' fsync = off would flatter what storing the images costs.
    DATABASE_URL="$(database_url "$(throwaway_cluster "$cluster" "fsync = on" "full_page_writes = on")" imageproc)"
fi
DATABASE_URL="$DATABASE_URL" python3 "$here/service.py" --imageproc "$imageproc" \
    --photos "$here/photos"
