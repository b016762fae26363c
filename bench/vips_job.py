"""One benchmark job done with pyvips, in one process: python vips_job.py resize|gray OUTDIR FILE...

resize: thumbnail_buffer to 800 wide (libvips shrinks JPEG on load, then resamples with Lanczos3);
gray: colourspace("b-w"). Output in the input's format, JPEG Q=85, PNG at libvips's defaults, no metadata.
Run with VIPS_CONCURRENCY=1 for a single thread.
"""
import os
import sys

import pyvips

WIDTH = 800


def run(mode, outdir, paths):
    pyvips.cache_set_max(0)
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        is_jpeg = data[:3] == b"\xff\xd8\xff"
        if mode == "resize":
            im = pyvips.Image.thumbnail_buffer(data, WIDTH, height=100000000)
        else:
            im = pyvips.Image.new_from_buffer(data, "", access="sequential").colourspace("b-w")
        stem = os.path.splitext(os.path.basename(path))[0]
        if is_jpeg:
            im.jpegsave(os.path.join(outdir, stem + ".jpg"), Q=85, keep="none")
        else:
            im.pngsave(os.path.join(outdir, stem + ".png"), keep="none")


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2], sys.argv[3:])
