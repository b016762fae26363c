"""One benchmark job done with Pillow, in one process: python pillow_job.py resize|gray OUTDIR FILE...

resize: JPEG input is drafted (DCT scaling to the largest reduction that keeps >= 800 wide), then LANCZOS to
800 wide; output in the input's format (JPEG q85, PNG at Pillow's defaults). gray: JPEG is drafted to luma only
at full size; output the same way.
"""
import os
import sys

from PIL import Image

WIDTH = 800


def run(mode, outdir, paths):
    for path in paths:
        with open(path, "rb") as f:
            im = Image.open(f)
            is_jpeg = im.format == "JPEG"
            if mode == "resize":
                height = max(1, round(im.height * WIDTH / im.width))
                if is_jpeg:
                    im.draft("RGB", (WIDTH, height))
                im = im.convert("RGB").resize((WIDTH, height), Image.LANCZOS)
            else:
                if is_jpeg:
                    im.draft("L", im.size)
                im = im.convert("L")
            stem = os.path.splitext(os.path.basename(path))[0]
            if is_jpeg:
                im.save(os.path.join(outdir, stem + ".jpg"), "JPEG", quality=85)
            else:
                im.save(os.path.join(outdir, stem + ".png"), "PNG")


if __name__ == "__main__":
    run(sys.argv[1], sys.argv[2], sys.argv[3:])
