#!/bin/sh
# Writes the JPEG fixtures the imaging tests read: the kinds of JPEG the kernel itself never writes.
#
#   progressive.jpg  64x48 RGB, progressive; quadrants red, green / blue, gray(128)
#   cmyk.jpg         the same quadrants as Adobe-style inverted CMYK (Adobe marker, transform 0)
#   ycck.jpg         the same quadrants as YCCK (Adobe marker, transform 2)
#   gray.jpg         64x48 one-component grayscale, value 4 * x (a left-to-right ramp)
#   s444.jpg         the quadrants, baseline YCbCr with full-resolution chroma (4:4:4)
#   s422.jpg         the quadrants, baseline YCbCr with chroma halved horizontally (4:2:2)
#
# Needs a C compiler and libjpeg's headers (libjpeg62-turbo-dev). Run from anywhere: ./make_jpeg_fixtures.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat > "$work/make.c" <<'C'
#include <stdio.h>
#include <stdlib.h>
#include <jpeglib.h>

enum { W = 64, H = 48 };
static const unsigned char quadrant_rgb[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {128, 128, 128}};

static const unsigned char *rgb_at(int x, int y) { return quadrant_rgb[(y >= H / 2) * 2 + (x >= W / 2)]; }

/* luma_h x luma_v: the luma sampling factors (chroma stays 1 x 1): 2 x 2 is 4:2:0, 2 x 1 4:2:2, 1 x 1 4:4:4. */
static void write_jpeg(const char *path, J_COLOR_SPACE in, int components, J_COLOR_SPACE stored, int progressive,
                       int luma_h, int luma_v) {
    unsigned char row[W * 4];
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = W; c.image_height = H; c.input_components = components; c.in_color_space = in;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, stored);
    jpeg_set_quality(&c, 95, TRUE);
    c.comp_info[0].h_samp_factor = luma_h;
    c.comp_info[0].v_samp_factor = luma_v;
    if (progressive) jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    for (int y = 0; y < H; y++) {
        for (int x = 0; x < W; x++) {
            const unsigned char *rgb = rgb_at(x, y);
            unsigned char *p = row + x * components;
            if (components == 1) {
                p[0] = (unsigned char)(4 * x);
            } else if (components == 3) {
                p[0] = rgb[0]; p[1] = rgb[1]; p[2] = rgb[2];
            } else {
                /* Inks C = 255 - R etc. with no black; Adobe stores each inverted, i.e. as R, G, B, 255. */
                p[0] = rgb[0]; p[1] = rgb[1]; p[2] = rgb[2]; p[3] = 255;
            }
        }
        JSAMPROW rows[1] = {row};
        jpeg_write_scanlines(&c, rows, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    fclose(f);
}

int main(int argc, char **argv) {
    char path[4096];
    snprintf(path, sizeof path, "%s/progressive.jpg", argv[1]);
    write_jpeg(path, JCS_RGB, 3, JCS_YCbCr, 1, 2, 2);
    snprintf(path, sizeof path, "%s/cmyk.jpg", argv[1]);
    write_jpeg(path, JCS_CMYK, 4, JCS_CMYK, 0, 1, 1);
    snprintf(path, sizeof path, "%s/ycck.jpg", argv[1]);
    write_jpeg(path, JCS_CMYK, 4, JCS_YCCK, 0, 2, 2);
    snprintf(path, sizeof path, "%s/gray.jpg", argv[1]);
    write_jpeg(path, JCS_GRAYSCALE, 1, JCS_GRAYSCALE, 0, 1, 1);
    snprintf(path, sizeof path, "%s/s444.jpg", argv[1]);
    write_jpeg(path, JCS_RGB, 3, JCS_YCbCr, 0, 1, 1);
    snprintf(path, sizeof path, "%s/s422.jpg", argv[1]);
    write_jpeg(path, JCS_RGB, 3, JCS_YCbCr, 0, 2, 1);
    return 0;
}
C
cc -O1 -o "$work/make" "$work/make.c" -ljpeg
"$work/make" "$here"
