/*
 * resize_filters.c — the row filters of the resize over an axis's weights, in plain C (and SSE2, the x86-64
 * baseline), with the dispatch to the AVX2 variants of resize_avx2.c when the CPU has it.
 *
 * Horizontal: one vector multiply-add per pixel and tap (two taps per step with SSE2). Vertical: the sums run
 * over contiguous bytes, row by row, which vectorises. Both are compiled twice, for AVX2 and for the baseline,
 * and the CPU picks at load time (target_clones).
 */
#include "resize_internal.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/// One row, horizontally, 1 or 2 channels. `channels` is a constant at every call site.
static inline void filter_row_narrow(const unsigned char *in, unsigned char *out, const ik__axis_weights *axis,
                                     const uint32_t channels) {
    for (uint32_t x = 0; x < axis->size; x++) {
        const int32_t *weights = axis->weights + (size_t)x * axis->taps;
        const unsigned char *pixel = in + (size_t)axis->first[x] * channels;
        int32_t sums[2] = {IK__RESIZE_HALF, IK__RESIZE_HALF};
        for (int32_t k = 0; k < axis->count[x]; k++, pixel += channels) {
            for (uint32_t c = 0; c < channels; c++) {
                sums[c] += pixel[c] * weights[k];
            }
        }
        for (uint32_t c = 0; c < channels; c++) {
            out[(size_t)x * channels + c] = ik__clamp_fixed(sums[c]);
        }
    }
}

#if defined(__SSE2__)
/// One row, horizontally, 3 or 4 channels, two taps per step: the two pixels' samples interleaved as 16-bit
/// pairs (R0 R1 G0 G1 B0 B1 ..) and multiplied by the pair (w0 w1) with one multiply-add (pmaddwd), which sums
/// each pair into one 32-bit lane per channel. Every load and store moves 4 bytes, so for 3 channels a row reads
/// and writes a little past its end (IK__ROW_SLACK); a count of taps that is odd reads one pixel more, with
/// weight 0.
static inline void filter_row_wide(const unsigned char *in, unsigned char *out, const ik__axis_weights *axis,
                                   const uint32_t channels) {
    const __m128i zero = _mm_setzero_si128();
    for (uint32_t x = 0; x < axis->size; x++) {
        const int32_t *pairs = axis->pairs + (size_t)x * axis->pair_count;
        const unsigned char *pixel = in + (size_t)axis->first[x] * channels;
        __m128i sums = _mm_set1_epi32(IK__RESIZE_HALF);
        int32_t steps = (axis->count[x] + 1) / 2;
        for (int32_t j = 0; j < steps; j++, pixel += 2 * channels) {
            int32_t a;
            int32_t b;
            memcpy(&a, pixel, 4);
            memcpy(&b, pixel + channels, 4);
            __m128i interleaved = _mm_unpacklo_epi8(_mm_cvtsi32_si128(a), _mm_cvtsi32_si128(b));
            __m128i samples = _mm_unpacklo_epi8(interleaved, zero);
            sums = _mm_add_epi32(sums, _mm_madd_epi16(samples, _mm_set1_epi32(pairs[j])));
        }
        // Shift out the fraction, then saturate to 0...255 (the clamp) while packing to bytes.
        __m128i words = _mm_packs_epi32(_mm_srai_epi32(sums, IK__RESIZE_PRECISION_BITS), zero);
        int32_t bytes = _mm_cvtsi128_si32(_mm_packus_epi16(words, zero));
        memcpy(out + (size_t)x * channels, &bytes, 4);
    }
}
#else
/// Four 32-bit lanes: one pixel of up to 4 channels, multiplied and accumulated in one instruction.
typedef int32_t lanes4 __attribute__((vector_size(16)));

/// One row, horizontally, 3 or 4 channels, without SSE2: one 4-lane multiply-add per tap. For 3 channels the
/// fourth lane reads the next pixel's first byte and is thrown away (rows have IK__ROW_SLACK).
static inline void filter_row_wide(const unsigned char *in, unsigned char *out, const ik__axis_weights *axis,
                                   const uint32_t channels) {
    for (uint32_t x = 0; x < axis->size; x++) {
        const int32_t *weights = axis->weights + (size_t)x * axis->taps;
        const unsigned char *pixel = in + (size_t)axis->first[x] * channels;
        lanes4 sums = {IK__RESIZE_HALF, IK__RESIZE_HALF, IK__RESIZE_HALF, IK__RESIZE_HALF};
        for (int32_t k = 0; k < axis->count[x]; k++, pixel += channels) {
            lanes4 samples = {pixel[0], pixel[1], pixel[2], pixel[3]};
            sums += samples * weights[k];
        }
        for (uint32_t c = 0; c < channels; c++) {
            out[(size_t)x * channels + c] = ik__clamp_fixed(sums[c]);
        }
    }
}
#endif

__attribute__((target_clones("avx2", "default"))) void
ik__horizontal_row_any(const unsigned char *in, unsigned char *out, const ik__axis_weights *axis, uint32_t channels) {
    switch (channels) {
    case 1: filter_row_narrow(in, out, axis, 1); break;
    case 2: filter_row_narrow(in, out, axis, 2); break;
    case 3: filter_row_wide(in, out, axis, 3); break;
    default: filter_row_wide(in, out, axis, 4); break;
    }
}

void ik__horizontal_row(const unsigned char *in, unsigned char *out, const ik__axis_weights *axis, uint32_t channels,
                        size_t readable) {
#if defined(__x86_64__)
    if (channels >= 3 && __builtin_cpu_supports("avx2")) {
        if (channels == 3) {
            ik__horizontal_row_twins(in, out, axis, 3, readable);
        } else {
            ik__horizontal_row_twins(in, out, axis, 4, readable);
        }
        return;
    }
#endif
    ik__horizontal_row_any(in, out, axis, channels);
}

/// One output row of a vertical pass: the weighted sum of the `count` rows of `window`, `row_bytes` each,
/// accumulated row by row so the inner loops run over contiguous bytes and vectorise.
__attribute__((target_clones("avx2", "default"))) static void vertical_row_any(const unsigned char *const *window,
                                                                               size_t row_bytes, const int32_t *weights,
                                                                               int32_t count, int32_t *sums,
                                                                               unsigned char *out) {
    const unsigned char *in = window[0];
    int32_t weight = weights[0];
    for (size_t i = 0; i < row_bytes; i++) {
        sums[i] = IK__RESIZE_HALF + in[i] * weight;
    }
    for (int32_t k = 1; k < count; k++) {
        in = window[k];
        weight = weights[k];
        for (size_t i = 0; i < row_bytes; i++) {
            sums[i] += in[i] * weight;
        }
    }
    for (size_t i = 0; i < row_bytes; i++) {
        out[i] = ik__clamp_fixed(sums[i]);
    }
}

void ik__vertical_row(const unsigned char *const *window, size_t row_bytes, const int32_t *weights, int32_t count,
                      int32_t *sums, unsigned char *out) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) {
        ik__vertical_row_pairs(window, row_bytes, weights, count, sums, out);
        return;
    }
#endif
    vertical_row_any(window, row_bytes, weights, count, sums, out);
}
