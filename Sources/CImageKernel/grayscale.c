/*
 * grayscale.c — ITU-R BT.601 luma: L = 0.299 R + 0.587 G + 0.114 B.
 *
 * Fixed point with 14 fractional bits. The weights are the BT.601 ones scaled by 2^14 and rounded so that they
 * add up to exactly 2^14 (white stays 255, every gray stays itself); adding half before the shift rounds to
 * nearest. The result is within 1 of the exact formula (the same weights as Pillow's convert("L")).
 */
#include "kernel_internal.h"

#define WEIGHT_R 4899u /* 0.299 * 16384 = 4898.8 */
#define WEIGHT_G 9617u /* 0.587 * 16384 = 9617.4 */
#define WEIGHT_B 1868u /* 0.114 * 16384 = 1867.8 */
#define SHIFT 14

static inline unsigned char luma(const unsigned char *rgb) {
    return (unsigned char)((WEIGHT_R * rgb[0] + WEIGHT_G * rgb[1] + WEIGHT_B * rgb[2] + (1u << (SHIFT - 1))) >> SHIFT);
}

void ik__grayscale_row(const unsigned char *in, unsigned char *out, uint32_t width, uint32_t channels) {
    if (channels == 3) {
        for (uint32_t i = 0; i < width; i++, in += 3) {
            *out++ = luma(in);
        }
        return;
    }
    for (uint32_t i = 0; i < width; i++, in += 4) {
        unsigned char alpha = in[3];
        *out++ = luma(in);
        *out++ = alpha;
    }
}
