#!/usr/bin/env python3
"""Peak memory per job on the largest photos: ik_estimate_peak's bound beside the measured peaks, and libvips's.

For every photo and job it runs `kernel-peak` (one ik_process call with every allocation counted: the kernel's
own peak, what the estimate bounds), `imageproc process --threads 1` and, with --vips, pyvips doing the same job
(bench/vips_job.py, VIPS_CONCURRENCY=1): for both whole commands the rise of the peak resident set (ru_maxrss from
wait4) over that of the same command on a 1 x 1 JPEG, so that runtime, code and allocator caches cancel out but
the input file each reads and its result count. Prints a Markdown table.

    bench/peak.py --kernel-peak .build/debug/kernel-peak --imageproc .build/debug/imageproc \\
        --baseline one.jpg [--vips '.build-tools/venv-bench/bin/python bench/vips_job.py'] photo.jpg...
"""
import argparse
import os
import shlex
import subprocess
import sys
import tempfile

# Label, imageproc's arguments, the same job for vips_job.py.
JOBS = [
    ("grayscale to JPEG", ["--op", "grayscale", "--format", "jpeg"], ["gray", "--format", "jpeg"]),
    ("grayscale to PNG", ["--op", "grayscale", "--format", "png"], ["gray", "--format", "png"]),
    ("resize 12000 to PNG", ["--op", "resize", "--width", "12000", "--format", "png"],
     ["resize", "--width", "12000", "--format", "png"]),
    ("resize 800 to JPEG", ["--op", "resize", "--width", "800", "--format", "jpeg"],
     ["resize", "--width", "800", "--format", "jpeg"]),
]

MIB = 1024 * 1024


def max_rss(command, env=None):
    """The peak resident set of `command`, in bytes, and its exit status."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    process.stderr.close()
    return usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status)


def rss_rise(command, photo, baseline, env=None):
    """How much higher the peak resident set of `command` is on `photo` than on `baseline`, in MiB."""
    floor, _ = max_rss(command(baseline), env)
    rss, status = max_rss(command(photo), env)
    return f"{(rss - floor) / MIB:.1f} MiB" if status == 0 else f"exit {status}"


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
    parser.add_argument("--vips", help="the command that runs vips_job.py")
    parser.add_argument("photos", nargs="+")
    args = parser.parse_args()
    vips_env = dict(os.environ, VIPS_CONCURRENCY="1")
    with tempfile.TemporaryDirectory() as out:
        print("| photo | job | output | kernel peak (counted) | estimate | estimate / peak | imageproc RSS rise "
              "| libvips RSS rise |")
        print("|---|---|---|---:|---:|---:|---:|---:|")
        for photo in args.photos:
            name = os.path.basename(photo)
            for label, arguments, vips_arguments in JOBS:
                measured = kernel_peak(args.kernel_peak, photo, arguments)
                if measured is None:
                    print(f"| {name} | {label} | refused | | | | | |")
                    continue
                process = lambda path: [args.imageproc, "process", "--threads", "1", "-o", out] + arguments + [path]
                imageproc = rss_rise(process, photo, args.baseline)
                vips = "–"
                if args.vips:
                    mode, options = vips_arguments[0], vips_arguments[1:]
                    command = lambda path: shlex.split(args.vips) + [mode, out, path] + options
                    vips = rss_rise(command, photo, args.baseline, vips_env)
                ratio = measured["estimate"] / measured["peak"]
                print(
                    f"| {name} | {label} | {measured['width']}x{measured['height']} | "
                    f"{measured['peak'] / MIB:.1f} MiB | {measured['estimate'] / MIB:.1f} MiB | {ratio:.2f} | "
                    f"{imageproc} | {vips} |",
                    flush=True)
                if measured["peak"] > measured["estimate"]:
                    print(f"bound broken: {name} {label}", file=sys.stderr)
                    sys.exit(1)


if __name__ == "__main__":
    main()
