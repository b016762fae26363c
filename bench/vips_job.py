"""One benchmark job done with pyvips, in one process:

    python vips_job.py resize|gray OUTDIR FILE... [--width N] [--format same|jpeg|png]

resize: thumbnail_buffer to N wide (800 unless told; libvips shrinks JPEG on load, then resamples with Lanczos3);
gray: colourspace("b-w"). Output in the input's format unless told, JPEG Q=85, PNG at libvips's defaults, no
metadata. Run with VIPS_CONCURRENCY=1 for a single thread.
"""
import argparse
import os

import pyvips


def run(mode, outdir, paths, width, output_format):
    pyvips.cache_set_max(0)
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        is_jpeg = data[:3] == b"\xff\xd8\xff"
        if mode == "resize":
            im = pyvips.Image.thumbnail_buffer(data, width, height=100000000)
        else:
            im = pyvips.Image.new_from_buffer(data, "", access="sequential").colourspace("b-w")
        stem = os.path.splitext(os.path.basename(path))[0]
        if output_format == "jpeg" or (output_format == "same" and is_jpeg):
            im.jpegsave(os.path.join(outdir, stem + ".jpg"), Q=85, keep="none")
        else:
            im.pngsave(os.path.join(outdir, stem + ".png"), keep="none")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["resize", "gray"])
    parser.add_argument("outdir")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--width", type=int, default=800)
    parser.add_argument("--format", choices=["same", "jpeg", "png"], default="same")
    args = parser.parse_args()
    run(args.mode, args.outdir, args.paths, args.width, args.format)
