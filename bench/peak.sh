#!/usr/bin/env bash
# bench/peak.sh: the peak memory per job on the largest photos, measured and estimated (bench/peak.py). Photos: the
# two largest of Debian's mate-backgrounds (5640 x 3172 progressive, 3840 x 2160) and a generated progressive
# JPEG of 12240 x 8160 (99.9 MP, the most the default pixel limit accepts; bench/make_photo.c | cjpeg). Needs cjpeg
# (libjpeg-turbo-progs), a C compiler and Swift; the images are made in bench/.build, not committed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"
build="$here/.build"
mkdir -p "$build"

if [[ ! -f "$build/photo-100mp.jpg" ]]; then
    cc -O2 -o "$build/make_photo" "$here/make_photo.c" -lm
    "$build/make_photo" 12240 8160 | cjpeg -progressive -quality 90 > "$build/photo-100mp.jpg"
    "$build/make_photo" 1 1 | cjpeg > "$build/one.jpg"
fi
mate="$build/mate/usr/share/backgrounds/mate"
if [[ ! -d "$mate" ]]; then
    (cd "$build" && apt-get download mate-backgrounds > /dev/null && dpkg -x mate-backgrounds_*.deb mate)
fi

swift build --product kernel-peak
swift build --product imageproc
bin=$(swift build --show-bin-path)
python3 "$here/peak.py" --kernel-peak "$bin/kernel-peak" --imageproc "$bin/imageproc" --baseline "$build/one.jpg" \
    "$build/photo-100mp.jpg" "$mate/abstract/Elephants_5640x3172.jpg" "$mate/abstract/Elephants_3840x2160.jpg"
