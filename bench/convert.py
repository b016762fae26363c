"""Converts the image argv[1] to argv[2] with Pillow, the format taken from argv[2]'s extension: peak.sh makes its
99.9 MP PNG from the PPM this way."""
import sys

from PIL import Image

Image.open(sys.argv[1]).save(sys.argv[2])
