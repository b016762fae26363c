#!/bin/sh
# Writes the JPEG fixtures the imaging tests read: the kinds of JPEG the kernel itself never writes.
#
#   progressive.jpg  64x48 RGB, progressive; quadrants red, green / blue, gray(128)
#   cmyk.jpg         the same quadrants as Adobe-style inverted CMYK (Adobe marker, transform 0)
#   ycck.jpg         the same quadrants as YCCK (Adobe marker, transform 2)
#   gray.jpg         64x48 one-component grayscale, value 4 * x (a left-to-right ramp)
#   s444.jpg         the quadrants, baseline YCbCr with full-resolution chroma (4:4:4)
#   s422.jpg         the quadrants, baseline YCbCr with chroma halved horizontally (4:2:2)
#   texture-baseline.jpg, texture-progressive.jpg
#                    203x157 4:2:0 with detail everywhere, from the same pixels and tables: the same quantised
#                    coefficients, one in a single interleaved scan, one in libjpeg's progressive script (whose
#                    colour planes' AC coefficients have scans of their own)
#   texture-rgb.jpg  the texture stored as RGB (Adobe marker, no colour transform), progressive: a scan per
#                    component, and no plane is the grayscale
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

enum { W = 64, H = 48, TEXTURE_W = 203, TEXTURE_H = 157 };
static const unsigned char quadrant_rgb[4][3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}, {128, 128, 128}};

static const unsigned char *rgb_at(int x, int y) { return quadrant_rgb[(y >= H / 2) * 2 + (x >= W / 2)]; }

static void texture_at(int x, int y, unsigned char *rgb) {
    rgb[0] = (unsigned char)((x * 5 + y * 3) ^ (x * y / 7));
    rgb[1] = (unsigned char)(128 + ((x * x + y * 11) % 97) - ((y * y + x) % 89));
    rgb[2] = (unsigned char)((x ^ (y * 3)) * 2);
}

/* luma_h x luma_v: the luma sampling factors (chroma stays 1 x 1): 2 x 2 is 4:2:0, 2 x 1 4:2:2, 1 x 1 4:4:4. */
static void write_jpeg(const char *path, J_COLOR_SPACE in, int components, J_COLOR_SPACE stored, int progressive,
                       int luma_h, int luma_v, int texture) {
    unsigned char row[TEXTURE_W * 4];
    int width = texture ? TEXTURE_W : W, height = texture ? TEXTURE_H : H;
    struct jpeg_compress_struct c;
    struct jpeg_error_mgr e;
    FILE *f = fopen(path, "wb");
    if (!f) { perror(path); exit(1); }
    c.err = jpeg_std_error(&e);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = width; c.image_height = height; c.input_components = components; c.in_color_space = in;
    jpeg_set_defaults(&c);
    jpeg_set_colorspace(&c, stored);
    jpeg_set_quality(&c, texture ? 90 : 95, TRUE);
    c.comp_info[0].h_samp_factor = luma_h;
    c.comp_info[0].v_samp_factor = luma_v;
    if (progressive) jpeg_simple_progression(&c);
    jpeg_start_compress(&c, TRUE);
    for (int y = 0; y < height; y++) {
        for (int x = 0; x < width; x++) {
            const unsigned char *rgb = rgb_at(x, y);
            unsigned char *p = row + x * components;
            if (texture) {
                texture_at(x, y, p);
            } else if (components == 1) {
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

static const struct fixture {
    const char *name;
    J_COLOR_SPACE in;
    int components;
    J_COLOR_SPACE stored;
    int progressive, luma_h, luma_v, texture;
} fixtures[] = {
    {"progressive.jpg", JCS_RGB, 3, JCS_YCbCr, 1, 2, 2, 0},
    {"cmyk.jpg", JCS_CMYK, 4, JCS_CMYK, 0, 1, 1, 0},
    {"ycck.jpg", JCS_CMYK, 4, JCS_YCCK, 0, 2, 2, 0},
    {"gray.jpg", JCS_GRAYSCALE, 1, JCS_GRAYSCALE, 0, 1, 1, 0},
    {"s444.jpg", JCS_RGB, 3, JCS_YCbCr, 0, 1, 1, 0},
    {"s422.jpg", JCS_RGB, 3, JCS_YCbCr, 0, 2, 1, 0},
    {"texture-baseline.jpg", JCS_RGB, 3, JCS_YCbCr, 0, 2, 2, 1},
    {"texture-progressive.jpg", JCS_RGB, 3, JCS_YCbCr, 1, 2, 2, 1},
    {"texture-rgb.jpg", JCS_RGB, 3, JCS_RGB, 1, 1, 1, 1},
};

int main(int argc, char **argv) {
    (void)argc;
    char path[4096];
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++) {
        const struct fixture *f = &fixtures[i];
        snprintf(path, sizeof path, "%s/%s", argv[1], f->name);
        write_jpeg(path, f->in, f->components, f->stored, f->progressive, f->luma_h, f->luma_v, f->texture);
    }
    return 0;
}
C
cc -O1 -o "$work/make" "$work/make.c" -ljpeg
"$work/make" "$here"
