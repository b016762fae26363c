/*
 * make_photo.c — writes a photo-like binary PPM (P6) of WIDTH x HEIGHT to stdout, for `cjpeg -progressive` to make
 * the largest JPEG the default limits accept (bench/peak.sh: 12240 x 8160, 99.9 MP):
 *
 *     cc -O2 -o make_photo bench/make_photo.c -lm && ./make_photo 12240 8160 | cjpeg -progressive -quality 90
 *
 * Smooth colour fields with edges and a grain of deterministic noise, so the JPEG is about as large per pixel as
 * a camera's (the MATE photos: 1 to 2 bits a pixel) rather than the few bytes of a flat image.
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: make_photo WIDTH HEIGHT > photo.ppm\n");
        return 2;
    }
    long width = atol(argv[1]);
    long height = atol(argv[2]);
    if (width <= 0 || height <= 0) {
        return 2;
    }
    unsigned char *row = malloc((size_t)width * 3);
    if (row == NULL) {
        return 1;
    }
    printf("P6\n%ld %ld\n255\n", width, height);
    uint32_t state = 12345;
    for (long y = 0; y < height; y++) {
        for (long x = 0; x < width; x++) {
            state = state * 1664525u + 1013904223u;
            int grain = (int)(state >> 28) - 8;
            double u = (double)x / width;
            double v = (double)y / height;
            double field = sin(u * 23 + sin(v * 7) * 3) * cos(v * 17 - u * 5);
            int edge = ((x / 97) ^ (y / 131)) & 1 ? 24 : 0;
            int r = (int)(128 + 90 * field) + edge + grain;
            int g = (int)(110 + 70 * sin(v * 31 + u * 11)) + grain;
            int b = (int)(100 + 60 * cos(u * 41)) - edge + grain;
            row[x * 3] = (unsigned char)(r < 0 ? 0 : r > 255 ? 255 : r);
            row[x * 3 + 1] = (unsigned char)(g < 0 ? 0 : g > 255 ? 255 : g);
            row[x * 3 + 2] = (unsigned char)(b < 0 ? 0 : b > 255 ? 255 : b);
        }
        fwrite(row, 1, (size_t)width * 3, stdout);
    }
    free(row);
    return 0;
}
