#!/usr/bin/env python3
"""Peak memory per job on the largest photos: ik_estimate_peak's bound beside the measured peaks.

For every photo and job it runs `kernel-peak` (one ik_process call with every allocation counted: the kernel's
own peak, what the estimate bounds) and `imageproc process --threads 1` (the peak resident set of the whole
command, ru_maxrss from wait4, less that of the same command on a 1 x 1 JPEG: runtime, code and allocator caches
cancel out, but the input file it reads and its copy of the result count). Prints a Markdown table.

    bench/peak.py --kernel-peak .build/debug/kernel-peak --imageproc .build/debug/imageproc \\
        --baseline one.jpg photo.jpg...
"""
import argparse
import os
import subprocess
import sys
import tempfile

JOBS = [
    ("grayscale (JPEG)", ["--op", "grayscale"]),
    ("grayscale to PNG", ["--op", "grayscale", "--format", "png"]),
    ("resize 12000 to PNG", ["--op", "resize", "--width", "12000", "--format", "png"]),
    ("resize 800", ["--op", "resize", "--width", "800"]),
]

MIB = 1024 * 1024


def max_rss(command):
    """The peak resident set of `command`, in bytes, and its exit status."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    process.stderr.close()
    return usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status)


def kernel_peak(tool, photo, arguments):
    output = subprocess.run([tool, photo] + arguments, capture_output=True, text=True).stdout
    fields = dict(pair.split("=", 1) for pair in output.split() if "=" in pair)
    if "error" in fields:
        return None
    return {key: int(fields[key]) for key in ("estimate", "output_estimate", "peak", "output", "width", "height")}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--kernel-peak", required=True)
    parser.add_argument("--imageproc", required=True)
    parser.add_argument("--baseline", required=True, help="a 1 x 1 JPEG")
    parser.add_argument("photos", nargs="+")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as out:
        def process_rss(photo, arguments):
            return max_rss([args.imageproc, "process", "--threads", "1", "-o", out] + arguments + [photo])

        print("| photo | job | output | kernel peak (counted) | estimate | estimate / peak | process RSS rise |")
        print("|---|---|---|---:|---:|---:|---:|")
        for photo in args.photos:
            name = os.path.basename(photo)
            for label, arguments in JOBS:
                measured = kernel_peak(args.kernel_peak, photo, arguments)
                if measured is None:
                    print(f"| {name} | {label} | refused | | | | |")
                    continue
                baseline, _ = process_rss(args.baseline, arguments)
                rss, status = process_rss(photo, arguments)
                rise = f"{(rss - baseline) / MIB:.1f} MiB" if status == 0 else f"exit {status}"
                ratio = measured["estimate"] / measured["peak"]
                print(
                    f"| {name} | {label} | {measured['width']}x{measured['height']} | "
                    f"{measured['peak'] / MIB:.1f} MiB | {measured['estimate'] / MIB:.1f} MiB | {ratio:.2f} | {rise} |",
                    flush=True)
                if measured["peak"] > measured["estimate"]:
                    print(f"bound broken: {name} {label}", file=sys.stderr)
                    sys.exit(1)


if __name__ == "__main__":
    main()
