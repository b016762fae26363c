#!/usr/bin/env bash
# bench/instructions.sh: instructions one ik_process call executes (valgrind --tool=callgrind, collecting inside
# ik_process only), per job on real photos: a count that stays the same from run to run on a shared machine, where
# CPU time does not; compare two builds with it before and after a change to the kernel. Uses the release
# kernel-peak (KERNEL_PEAK to measure another build); needs valgrind and bench/photos with its png/ copies (make
# bench makes both).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
cd "$root"
if [[ -z "${KERNEL_PEAK:-}" ]]; then
    swift build -c release --product kernel-peak > /dev/null
    KERNEL_PEAK="$(swift build -c release --show-bin-path)/kernel-peak"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Valgrind 3.19 cannot read the toolchain's DWARF 5; the symbols it needs stay.
cp "$KERNEL_PEAK" "$work/kernel-peak"
strip --strip-debug "$work/kernel-peak"
photos="$here/photos"
while read -r photo job; do
    # shellcheck disable=SC2086 # the job is its list of arguments
    count=$(valgrind --tool=callgrind --toggle-collect=ik_process --callgrind-out-file="$work/out" \
        "$work/kernel-peak" "$photos/$photo" $job 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    echo "$count $photo $job"
done << 'JOBS'
Elephants_3840x2160.jpg --op resize --width 800
Elephants_3840x2160.jpg --op grayscale
TwoWings.jpg --op resize --width 800
TwoWings.jpg --op grayscale
TwoWings.jpg --op resize --width 800 --format png
TwoWings.jpg --op grayscale --format png
png/TwoWings.png --op resize --width 800
png/TwoWings.png --op grayscale
JOBS
