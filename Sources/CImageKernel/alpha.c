/*
 * alpha.c — premultiplying, un-premultiplying and flattening straight alpha.
 *
 * The alpha channel is the last one of a 2- (gray, alpha) or 4-channel (RGB, alpha) image.
 */
#include "kernel_internal.h"

int ik__premultiply(ik_image *image) {
    uint32_t channels = image->channels;
    if (channels != 2 && channels != 4) {
        return 0;
    }
    size_t count = (size_t)image->width * image->height;
    unsigned char *pixel = image->data;
    size_t first = 0;
    while (first < count && pixel[first * channels + channels - 1] == 255) {
        first++;
    }
    if (first == count) {
        return 0;
    }
    for (size_t i = first; i < count; i++) {
        unsigned char *p = pixel + i * channels;
        uint32_t alpha = p[channels - 1];
        for (uint32_t c = 0; c + 1 < channels; c++) {
            p[c] = (unsigned char)ik__div255(p[c] * alpha);
        }
    }
    return 1;
}

void ik__unpremultiply(ik_image *image) {
    uint32_t channels = image->channels;
    size_t count = (size_t)image->width * image->height;
    for (size_t i = 0; i < count; i++) {
        unsigned char *p = image->data + i * channels;
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

void ik__flatten_on_white(ik_image *image) {
    uint32_t channels = image->channels;
    if (channels != 2 && channels != 4) {
        return;
    }
    size_t count = (size_t)image->width * image->height;
    const unsigned char *in = image->data;
    unsigned char *out = image->data;
    // In place, like ik__grayscale: the write position never passes the read position.
    for (size_t i = 0; i < count; i++, in += channels) {
        uint32_t alpha = in[channels - 1];
        uint32_t white = 255u * (255u - alpha);
        for (uint32_t c = 0; c + 1 < channels; c++) {
            *out++ = (unsigned char)ik__div255(in[c] * alpha + white);
        }
    }
    image->channels = channels - 1;
    image->stride = (size_t)image->width * image->channels;
}
