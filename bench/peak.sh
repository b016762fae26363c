#!/usr/bin/env bash
# bench/peak.sh: the peak memory per job on the largest photos, measured and estimated, beside libvips's
# (bench/peak.py). Photos: generated ones of 12240 x 8160 (99.9 MP, the most the default pixel limit accepts;
# bench/make_photo.c) as a progressive JPEG, a baseline JPEG (cjpeg) and a PNG (Pillow), and the two largest of
# Debian's mate-backgrounds (5640 x 3172 and 3840 x 2160, progressive). Needs cjpeg (libjpeg-turbo-progs), a C
# compiler and Swift; sets up the venv and bench/photos as bench.sh does (bench/lib.sh); the generated images are
# made in bench/.build, not committed. Prints a Markdown table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"
build="$here/.build"
mkdir -p "$build"

# shellcheck source=bench/lib.sh
source "$here/lib.sh"
python="$(python_venv bench "$here/requirements.txt")"
bench_photos
if [[ ! -f "$build/photo-100mp.png" ]]; then
    cc -O2 -o "$build/make_photo" "$here/make_photo.c" -lm
    "$build/make_photo" 12240 8160 > "$build/photo-100mp.ppm"
    cjpeg -progressive -quality 90 "$build/photo-100mp.ppm" > "$build/photo-100mp.jpg"
    cjpeg -quality 90 "$build/photo-100mp.ppm" > "$build/photo-100mp-baseline.jpg"
    "$python" "$here/convert.py" "$build/photo-100mp.ppm" "$build/photo-100mp.png"
    rm "$build/photo-100mp.ppm"
    "$build/make_photo" 1 1 | cjpeg > "$build/one.jpg"
fi
# The binaries measured: KERNEL_PEAK and IMAGEPROC when set (make bench: release builds), else debug builds.
if [[ -z "${KERNEL_PEAK:-}" || -z "${IMAGEPROC:-}" ]]; then
    swift build --product kernel-peak
    swift build --product imageproc
    bin=$(swift build --show-bin-path)
fi
python3 "$here/peak.py" --kernel-peak "${KERNEL_PEAK:-$bin/kernel-peak}" --imageproc "${IMAGEPROC:-$bin/imageproc}" \
    --baseline "$build/one.jpg" --vips "$python $here/vips_job.py" \
    "$build/photo-100mp.jpg" "$build/photo-100mp-baseline.jpg" "$build/photo-100mp.png" \
    "$here/photos/Elephants_5640x3172.jpg" "$here/photos/Elephants_3840x2160.jpg"
