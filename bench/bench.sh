#!/usr/bin/env bash
# make bench: sets up .build-tools/venv-bench (Pillow, pyvips with libvips, numpy, matplotlib), fetches the MATE
# photos into bench/photos, builds the decode floor and the release imageproc as the container ships it, then runs
# bench/run.py (arguments pass through, e.g. --reps 7), bench/peak.sh and bench/service.py. Needs a C compiler,
# libjpeg headers, cjpeg (libjpeg-turbo-progs) and Swift; no root (apt-get download needs none).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"

# shellcheck source=bench/lib.sh
source "$here/lib.sh"
python="$(python_venv bench "$here/requirements.txt")"
bench_photos

mkdir -p "$here/.build"
cc -O2 -o "$here/.build/floor" "$here/floor.c" -ljpeg
# The binary the container image ships (Swift's runtime linked in, as the Dockerfile builds it), in the scratch
# directory `make deploy-check` uses; it also starts faster than a dynamically linked one.
swift build -c release --static-swift-stdlib --product imageproc --scratch-path "$root/.build-static"
imageproc="$root/.build-static/release/imageproc"

echo "load average: $(cut -d' ' -f1-3 /proc/loadavg) (best below 1 on a machine shared with other work)"
"$python" "$here/run.py" --imageproc "$imageproc" \
    --floor "$here/.build/floor" "$@"

# Peak memory per job on the largest photos, beside libvips's (peak.sh); the kernel's counted peak from a release
# kernel-peak.
swift build -c release --product kernel-peak --scratch-path "$root/.build-static"
mkdir -p "$here/results"
KERNEL_PEAK="$root/.build-static/release/kernel-peak" IMAGEPROC="$imageproc" "$here/peak.sh" \
    | tee "$here/results/peak.md"

# The service under load, next to `imageproc process --threads 2`: on DATABASE_URL, or a throwaway cluster.
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
