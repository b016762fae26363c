/*
 * resize_avx2.c — the AVX2 variants of the resize's row filters (resize_filters.c dispatches to them when the CPU
 * has AVX2): 16-bit pairs multiplied and summed with one multiply-add (pmaddwd), two output pixels or two source
 * rows at a time. Same fixed-point arithmetic as the plain filters, so the same bytes.
 */
#include "resize_internal.h"

#if defined(__x86_64__)
#include <immintrin.h>
#include <string.h>

/// One row, horizontally, 3 or 4 channels, two output pixels at once in the two halves of an AVX2 register. A
/// step takes two taps of each pixel: the 8 bytes from the tap on (R0 G0 B0 R1 G1 B1 ..) are shuffled into
/// 16-bit pairs (R0 R1 G0 G1 B0 B1 ..) and multiplied by the two taps' weights with one multiply-add (pmaddwd),
/// which sums each pair into one 32-bit lane per channel. Both pixels run for the larger of their two tap
/// counts, the other's extra weights being 0; a pair whose reads would pass `readable` bytes (the row's end and
/// its slack) is left to ik__horizontal_row_any, as is an odd last pixel.
__attribute__((target("avx2"))) void ik__horizontal_row_twins(const unsigned char *in, unsigned char *out,
                                                              const ik__axis_weights *axis, const uint32_t channels,
                                                              size_t readable) {
    // Byte indices of R0 R1 G0 G1 B0 B1 (A0 A1), each followed by a zero byte (-1): 8 16-bit samples a lane.
    // clang-format off: two lanes of the same eight pairs, one row each
    const __m256i shuffle = channels == 3 ? _mm256_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1,
                                                             0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1)
                                          : _mm256_setr_epi8(0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, 3, -1, 7, -1,
                                                             0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, 3, -1, 7, -1);
    // clang-format on
    // Locals, not axis fields: the byte stores below may alias anything, and would force a reload of each.
    const int32_t *firsts = axis->first;
    const int32_t *counts = axis->count;
    const int32_t (*twins)[8] = axis->twin_pairs;
    const size_t pair_count = axis->pair_count;
    const uint32_t size = axis->size;
    uint32_t x = 0;
    for (; x + 1 < size; x += 2) {
        int32_t steps = ((counts[x] > counts[x + 1] ? counts[x] : counts[x + 1]) + 1) / 2;
        size_t first = (size_t)firsts[x];
        size_t second = (size_t)firsts[x + 1];
        // The last step reads 8 bytes from (second + 2 * steps - 2) * channels.
        if ((second + 2 * (size_t)steps) * channels + 4 > readable) {
            break;
        }
        const __m256i *weights = (const __m256i *)twins[(size_t)(x / 2) * pair_count];
        const unsigned char *a = in + first * channels;
        const unsigned char *b = in + second * channels;
        __m256i sums = _mm256_set1_epi32(IK__RESIZE_HALF);
        for (int32_t j = 0; j < steps; j++, a += 2 * channels, b += 2 * channels) {
            __m256i bytes = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadl_epi64((const __m128i *)a)),
                                                    _mm_loadl_epi64((const __m128i *)b), 1);
            __m256i samples = _mm256_shuffle_epi8(bytes, shuffle);
            sums = _mm256_add_epi32(sums, _mm256_madd_epi16(samples, _mm256_loadu_si256(weights + j)));
        }
        sums = _mm256_srai_epi32(sums, IK__RESIZE_PRECISION_BITS);
        __m128i words = _mm_packs_epi32(_mm256_castsi256_si128(sums), _mm256_extracti128_si256(sums, 1));
        __m128i bytes = _mm_packus_epi16(words, words);
        int32_t left_pixel = _mm_cvtsi128_si32(bytes);
        int32_t right_pixel = _mm_cvtsi128_si32(_mm_srli_si128(bytes, 4));
        // Left first: for 3 channels its fourth byte is overwritten by the right pixel.
        memcpy(out + (size_t)x * channels, &left_pixel, 4);
        memcpy(out + (size_t)(x + 1) * channels, &right_pixel, 4);
    }
    if (x < size) {
        // The rest, through a view of the axis that starts at pixel x.
        ik__axis_weights rest = *axis;
        rest.size = axis->size - x;
        rest.first += x;
        rest.count += x;
        rest.weights += (size_t)x * axis->taps;
        rest.pairs += (size_t)x * axis->pair_count;
        ik__horizontal_row_any(in, out + (size_t)x * channels, &rest, channels);
    }
}

/// The plain vertical filter (resize_filters.c) with AVX2, two source rows per pass over the sums: the rows' bytes
/// interleaved into 16-bit pairs and multiplied by the two rows' weights with one multiply-add (pmaddwd), where the
/// plain loop needs a 32-bit multiply (slow) per sample and row.
__attribute__((target("avx2"))) void ik__vertical_row_pairs(const unsigned char *const *window, size_t row_bytes,
                                                            const int32_t *weights, int32_t count, int32_t *sums,
                                                            unsigned char *out) {
    size_t vector_end = row_bytes & ~(size_t)15;
    for (size_t i = 0; i < row_bytes; i++) {
        sums[i] = IK__RESIZE_HALF;
    }
    for (int32_t k = 0; k < count; k += 2) {
        const unsigned char *upper = window[k];
        // An odd last row pairs with itself at weight 0.
        int has_lower = k + 1 < count;
        const unsigned char *lower = has_lower ? window[k + 1] : upper;
        int32_t upper_weight = weights[k];
        int32_t lower_weight = has_lower ? weights[k + 1] : 0;
        __m256i pair =
            _mm256_set1_epi32((int32_t)(((uint32_t)upper_weight & 0xFFFFu) | ((uint32_t)lower_weight << 16)));
        for (size_t i = 0; i < vector_end; i += 16) {
            __m128i a = _mm_loadu_si128((const __m128i *)(upper + i));
            __m128i b = _mm_loadu_si128((const __m128i *)(lower + i));
            __m256i low = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(a, b));
            __m256i high = _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(a, b));
            __m256i *target = (__m256i *)(sums + i);
            _mm256_storeu_si256(target, _mm256_add_epi32(_mm256_loadu_si256(target), _mm256_madd_epi16(low, pair)));
            _mm256_storeu_si256(target + 1,
                                _mm256_add_epi32(_mm256_loadu_si256(target + 1), _mm256_madd_epi16(high, pair)));
        }
        for (size_t i = vector_end; i < row_bytes; i++) {
            sums[i] += upper[i] * upper_weight + lower[i] * lower_weight;
        }
    }
    for (size_t i = 0; i < row_bytes; i++) {
        out[i] = ik__clamp_fixed(sums[i]);
    }
}
#endif
