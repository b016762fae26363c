/*
 * alpha.c — premultiplying, un-premultiplying and flattening straight alpha, a row at a time.
 *
 * The alpha channel is the last one of a 2- (gray, alpha) or 4-channel (RGB, alpha) pixel.
 */
#include "kernel_internal.h"

int ik__premultiply_row(unsigned char *row, uint32_t width, uint32_t channels) {
    uint32_t first = 0;
    while (first < width && row[(size_t)first * channels + channels - 1] == 255) {
        first++;
    }
    if (first == width) {
        return 0;
    }
    for (uint32_t i = first; i < width; i++) {
        unsigned char *p = row + (size_t)i * channels;
        uint32_t alpha = p[channels - 1];
        for (uint32_t c = 0; c + 1 < channels; c++) {
            p[c] = (unsigned char)ik__div255(p[c] * alpha);
        }
    }
    return 1;
}

void ik__unpremultiply_row(unsigned char *row, uint32_t width, uint32_t channels) {
    for (uint32_t i = 0; i < width; i++) {
        unsigned char *p = row + (size_t)i * channels;
        uint32_t alpha = p[channels - 1];
        if (alpha == 255) {
            continue;
        }
        for (uint32_t c = 0; c + 1 < channels; c++) {
            if (alpha == 0) {
                p[c] = 0;
            } else {
                uint32_t value = (p[c] * 255u + alpha / 2) / alpha;
                p[c] = (unsigned char)(value > 255 ? 255 : value);
            }
        }
    }
}

void ik__flatten_row(const unsigned char *in, unsigned char *out, uint32_t width, uint32_t channels) {
    for (uint32_t i = 0; i < width; i++, in += channels) {
        uint32_t alpha = in[channels - 1];
        uint32_t white = 255u * (255u - alpha);
        for (uint32_t c = 0; c + 1 < channels; c++) {
            *out++ = (unsigned char)ik__div255(in[c] * alpha + white);
        }
    }
}
