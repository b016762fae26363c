/*
 * resize.c — separable Lanczos-3 resampling.
 *
 * For each axis the weights are computed once: output pixel i takes source pixels around its centre, weighted by
 * lanczos3(distance / filter_scale), where filter_scale is the reduction factor (1 when enlarging), so a
 * reduction by 4 averages over 4 times as many pixels and does not alias. The weights of each output pixel are
 * normalised to sum to exactly 1 in fixed point (14 fractional bits), so a flat image stays flat.
 *
 * Two passes, in the cheaper order. Usually vertical first, one output row at a time: the vertical sums over
 * contiguous bytes (which vectorise well) give one full-width row, which the horizontal filter (one vector
 * multiply-add per pixel and tap) turns into the output row; the horizontal filter then runs over output rows
 * only. When the image grows vertically, horizontal first into a temporary image. A pass is skipped when its axis
 * neither scales nor crops. Colour is filtered premultiplied by alpha. The hot loops are compiled twice, for
 * AVX2 and for the baseline, and the CPU picks at load time (target_clones).
 */
#include "kernel_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#if defined(__x86_64__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#define PRECISION_BITS 14
#define ONE (1 << PRECISION_BITS)
#define HALF (1 << (PRECISION_BITS - 1))
#define LANCZOS_SUPPORT 3.0

/// The weights of one axis: output pixel i is the sum over k < count[i] of source[first[i] + k] * weight.
typedef struct axis_weights {
    uint32_t size;
    uint32_t taps;
    int32_t *first;
    int32_t *count;
    int32_t *weights; /* size * taps, row i at weights + i * taps */
    /// The same weights as 16-bit pairs (weights[2j] in the low half, weights[2j + 1] in the high half, 0 past
    /// count), row i at pairs + i * pair_count: what SSE2's multiply-add of 16-bit pairs takes.
    uint32_t pair_count;
    int32_t *pairs;
    /// For output pixels 2q and 2q + 1 side by side, what the AVX2 filter multiplies by: entry
    /// q * pair_count + j is 8 lanes of 32 bits, pairs[2q][j] four times then pairs[2q + 1][j] four times.
    int32_t (*twin_pairs)[8];
} axis_weights;

static double sinc(double x) {
    if (x == 0.0) {
        return 1.0;
    }
    x *= M_PI;
    return sin(x) / x;
}

static double lanczos3(double x) {
    if (x <= -LANCZOS_SUPPORT || x >= LANCZOS_SUPPORT) {
        return 0.0;
    }
    return sinc(x) * sinc(x / LANCZOS_SUPPORT);
}

static void axis_free(axis_weights *axis) {
    free(axis->first);
    free(axis->count);
    free(axis->weights);
    free(axis->pairs);
    free(axis->twin_pairs);
    memset(axis, 0, sizeof(*axis));
}

/// Rounds normalised weights to fixed point and gives the rounding error to the largest weight, so every
/// output pixel's weights add up to exactly ONE.
static void quantise(const double *weights, int32_t count, int32_t *fixed) {
    int32_t sum = 0;
    int32_t largest = 0;
    for (int32_t k = 0; k < count; k++) {
        fixed[k] = (int32_t)lround(weights[k] * ONE);
        sum += fixed[k];
        if (fixed[k] > fixed[largest]) {
            largest = k;
        }
    }
    fixed[largest] += ONE - sum;
}

/// The most source pixels one output pixel reads: the support on both sides and the centre, but no more than the
/// whole axis, however large the reduction.
static uint32_t axis_taps(uint32_t source_size, double start, double end, uint32_t size) {
    double scale = (end - start) / size;
    double filter_scale = scale < 1.0 ? 1.0 : scale;
    double taps_wanted = ceil(LANCZOS_SUPPORT * filter_scale) * 2 + 1;
    return taps_wanted > source_size ? source_size : (uint32_t)taps_wanted;
}

/// What axis_init allocates, as it allocates it (the `exact` scratch included, though it is freed on return).
static uint64_t axis_peak_bytes(uint32_t source_size, double start, double end, uint32_t size) {
    uint64_t taps = axis_taps(source_size, start, end, size);
    uint64_t pair_count = (taps + 1) / 2;
    uint64_t bytes = 2 * ik__sat_mul(size, sizeof(int32_t));                                   /* first, count */
    bytes = ik__sat_add(bytes, ik__sat_mul(ik__sat_mul(taps, size), sizeof(int32_t)));         /* weights */
    bytes = ik__sat_add(bytes, ik__sat_mul(ik__sat_mul(pair_count, size) + 1, sizeof(int32_t))); /* pairs */
    bytes = ik__sat_add(bytes, ik__sat_mul(ik__sat_mul(pair_count, size / 2) + 1, 8 * sizeof(int32_t)));
    bytes = ik__sat_add(bytes, ik__sat_mul(taps, sizeof(double))); /* exact */
    return ik__sat_add(bytes, 6 * IK__ALLOCATION_SLACK);
}

/// Weights mapping the source interval [start, end) of an axis `source_size` long onto `size` output pixels.
static ik_status axis_init(axis_weights *axis, uint32_t source_size, double start, double end, uint32_t size,
                           char *message, size_t capacity) {
    memset(axis, 0, sizeof(*axis));
    double scale = (end - start) / size;
    double filter_scale = scale < 1.0 ? 1.0 : scale;
    double support = LANCZOS_SUPPORT * filter_scale;
    uint32_t taps = axis_taps(source_size, start, end, size);
    size_t weight_bytes = 0;
    size_t index_bytes = 0;
    if (!ik__mul_size(taps, size, &weight_bytes) || !ik__mul_size(weight_bytes, sizeof(int32_t), &weight_bytes) ||
        !ik__mul_size(size, sizeof(int32_t), &index_bytes)) {
        return ik__fail(IK_ERR_TOO_MANY_PIXELS, message, capacity, "resize weights do not fit in memory");
    }
    axis->size = size;
    axis->taps = taps;
    axis->pair_count = (taps + 1) / 2;
    axis->first = malloc(index_bytes);
    axis->count = malloc(index_bytes);
    axis->weights = malloc(weight_bytes);
    // pair_count * size <= taps * size (taps >= 1), so no new overflow.
    axis->pairs = calloc((size_t)axis->pair_count * size + 1, sizeof(int32_t));
    axis->twin_pairs = malloc(((size_t)axis->pair_count * (size / 2) + 1) * sizeof(*axis->twin_pairs));
    double *exact = malloc(axis->taps * sizeof(double));
    if (axis->first == NULL || axis->count == NULL || axis->weights == NULL || axis->pairs == NULL ||
        axis->twin_pairs == NULL || exact == NULL) {
        free(exact);
        axis_free(axis);
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for resize weights");
    }
    for (uint32_t i = 0; i < size; i++) {
        double centre = start + (i + 0.5) * scale;
        // Source pixel k is centred at k + 0.5: take those within the support of the centre.
        double low = floor(centre - support + 0.5);
        double high = floor(centre + support + 0.5);
        int32_t first = low < 0 ? 0 : (int32_t)low;
        int32_t last = high > source_size ? (int32_t)source_size : (int32_t)high;
        if (last - first > (int32_t)axis->taps) {
            last = first + (int32_t)axis->taps;
        }
        if (last <= first) {
            // Only for a rectangle at the very edge; take the nearest pixel.
            first = centre >= source_size ? (int32_t)source_size - 1 : (int32_t)centre;
            last = first + 1;
        }
        double sum = 0;
        for (int32_t k = first; k < last; k++) {
            exact[k - first] = lanczos3((k + 0.5 - centre) / filter_scale);
            sum += exact[k - first];
        }
        for (int32_t k = 0; k < last - first; k++) {
            exact[k] = sum != 0 ? exact[k] / sum : (k == 0);
        }
        axis->first[i] = first;
        axis->count[i] = last - first;
        int32_t *fixed = axis->weights + (size_t)i * axis->taps;
        quantise(exact, last - first, fixed);
        int32_t *pairs = axis->pairs + (size_t)i * axis->pair_count;
        for (int32_t k = 0; k < last - first; k += 2) {
            // Every weight is within +-2 ONE (Lanczos-3's lobes are small), so fits in 16 bits.
            uint32_t high = k + 1 < last - first ? (uint32_t)fixed[k + 1] : 0;
            pairs[k / 2] = (int32_t)(((uint32_t)fixed[k] & 0xFFFFu) | (high << 16));
        }
    }
    for (uint32_t q = 0; q < size / 2; q++) {
        const int32_t *even = axis->pairs + (size_t)(2 * q) * axis->pair_count;
        const int32_t *odd = even + axis->pair_count;
        for (uint32_t j = 0; j < axis->pair_count; j++) {
            int32_t *lanes = axis->twin_pairs[(size_t)q * axis->pair_count + j];
            for (int lane = 0; lane < 4; lane++) {
                lanes[lane] = even[j];
                lanes[lane + 4] = odd[j];
            }
        }
    }
    free(exact);
    return IK_OK;
}

static inline unsigned char clamp_fixed(int32_t value) {
    value >>= PRECISION_BITS;
    return (unsigned char)(value < 0 ? 0 : (value > 255 ? 255 : value));
}

/// One row, horizontally, 1 or 2 channels. `channels` is a constant at every call site.
static inline void filter_row_narrow(const unsigned char *in, unsigned char *out, const axis_weights *axis,
                                     const uint32_t channels) {
    for (uint32_t x = 0; x < axis->size; x++) {
        const int32_t *weights = axis->weights + (size_t)x * axis->taps;
        const unsigned char *pixel = in + (size_t)axis->first[x] * channels;
        int32_t sums[2] = {HALF, HALF};
        for (int32_t k = 0; k < axis->count[x]; k++, pixel += channels) {
            for (uint32_t c = 0; c < channels; c++) {
                sums[c] += pixel[c] * weights[k];
            }
        }
        for (uint32_t c = 0; c < channels; c++) {
            out[(size_t)x * channels + c] = clamp_fixed(sums[c]);
        }
    }
}

#if defined(__SSE2__)
/// One row, horizontally, 3 or 4 channels, two taps per step: the two pixels' samples interleaved as 16-bit
/// pairs (R0 R1 G0 G1 B0 B1 ..) and multiplied by the pair (w0 w1) with one multiply-add (pmaddwd), which sums
/// each pair into one 32-bit lane per channel. Every load and store moves 4 bytes, so for 3 channels a row reads
/// and writes a little past its end (IK__ROW_SLACK); a count of taps that is odd reads one pixel more, with
/// weight 0.
static inline void filter_row_wide(const unsigned char *in, unsigned char *out, const axis_weights *axis,
                                   const uint32_t channels) {
    const __m128i zero = _mm_setzero_si128();
    for (uint32_t x = 0; x < axis->size; x++) {
        const int32_t *pairs = axis->pairs + (size_t)x * axis->pair_count;
        const unsigned char *pixel = in + (size_t)axis->first[x] * channels;
        __m128i sums = _mm_set1_epi32(HALF);
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
        __m128i words = _mm_packs_epi32(_mm_srai_epi32(sums, PRECISION_BITS), zero);
        int32_t bytes = _mm_cvtsi128_si32(_mm_packus_epi16(words, zero));
        memcpy(out + (size_t)x * channels, &bytes, 4);
    }
}
#else
/// Four 32-bit lanes: one pixel of up to 4 channels, multiplied and accumulated in one instruction.
typedef int32_t lanes4 __attribute__((vector_size(16)));

/// One row, horizontally, 3 or 4 channels, without SSE2: one 4-lane multiply-add per tap. For 3 channels the
/// fourth lane reads the next pixel's first byte and is thrown away (rows have IK__ROW_SLACK).
static inline void filter_row_wide(const unsigned char *in, unsigned char *out, const axis_weights *axis,
                                   const uint32_t channels) {
    for (uint32_t x = 0; x < axis->size; x++) {
        const int32_t *weights = axis->weights + (size_t)x * axis->taps;
        const unsigned char *pixel = in + (size_t)axis->first[x] * channels;
        lanes4 sums = {HALF, HALF, HALF, HALF};
        for (int32_t k = 0; k < axis->count[x]; k++, pixel += channels) {
            lanes4 samples = {pixel[0], pixel[1], pixel[2], pixel[3]};
            sums += samples * weights[k];
        }
        for (uint32_t c = 0; c < channels; c++) {
            out[(size_t)x * channels + c] = clamp_fixed(sums[c]);
        }
    }
}
#endif

__attribute__((target_clones("avx2", "default"))) static void
filter_row_any(const unsigned char *in, unsigned char *out, const axis_weights *axis, uint32_t channels) {
    switch (channels) {
    case 1:
        filter_row_narrow(in, out, axis, 1);
        break;
    case 2:
        filter_row_narrow(in, out, axis, 2);
        break;
    case 3:
        filter_row_wide(in, out, axis, 3);
        break;
    default:
        filter_row_wide(in, out, axis, 4);
        break;
    }
}

#if defined(__x86_64__)
/// One row, horizontally, 3 or 4 channels, two output pixels at once in the two halves of an AVX2 register. A
/// step takes two taps of each pixel: the 8 bytes from the tap on (R0 G0 B0 R1 G1 B1 ..) are shuffled into
/// 16-bit pairs (R0 R1 G0 G1 B0 B1 ..) and multiplied by the two taps' weights with one multiply-add (pmaddwd),
/// which sums each pair into one 32-bit lane per channel. Both pixels run for the larger of their two tap
/// counts, the other's extra weights being 0; a pair whose reads would pass `readable` bytes (the row's end and
/// its slack) is left to filter_row_any, as is an odd last pixel.
__attribute__((target("avx2"))) static void filter_row_twins(const unsigned char *in, unsigned char *out,
                                                             const axis_weights *axis, const uint32_t channels,
                                                             size_t readable) {
    // Byte indices of R0 R1 G0 G1 B0 B1 (A0 A1), each followed by a zero byte (-1): 8 16-bit samples a lane.
    const __m256i shuffle = channels == 3 ? _mm256_setr_epi8(0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1,
                                                             0, -1, 3, -1, 1, -1, 4, -1, 2, -1, 5, -1, -1, -1, -1, -1)
                                          : _mm256_setr_epi8(0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, 3, -1, 7, -1,
                                                             0, -1, 4, -1, 1, -1, 5, -1, 2, -1, 6, -1, 3, -1, 7, -1);
    // Locals, not axis fields: the byte stores below may alias anything, and would force a reload of each.
    const int32_t *firsts = axis->first;
    const int32_t *counts = axis->count;
    const int32_t(*twins)[8] = axis->twin_pairs;
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
        __m256i sums = _mm256_set1_epi32(HALF);
        for (int32_t j = 0; j < steps; j++, a += 2 * channels, b += 2 * channels) {
            __m256i bytes = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadl_epi64((const __m128i *)a)),
                                                    _mm_loadl_epi64((const __m128i *)b), 1);
            __m256i samples = _mm256_shuffle_epi8(bytes, shuffle);
            sums = _mm256_add_epi32(sums, _mm256_madd_epi16(samples, _mm256_loadu_si256(weights + j)));
        }
        sums = _mm256_srai_epi32(sums, PRECISION_BITS);
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
        axis_weights rest = *axis;
        rest.size = axis->size - x;
        rest.first += x;
        rest.count += x;
        rest.weights += (size_t)x * axis->taps;
        rest.pairs += (size_t)x * axis->pair_count;
        filter_row_any(in, out + (size_t)x * channels, &rest, channels);
    }
}
#endif

/// One row, horizontally. `readable`: how many bytes from `in` on may be read (the row, and what follows it in
/// its buffer, at least IK__ROW_SLACK).
static void filter_row(const unsigned char *in, unsigned char *out, const axis_weights *axis, uint32_t channels,
                       size_t readable) {
#if defined(__x86_64__)
    if (channels >= 3 && __builtin_cpu_supports("avx2")) {
        if (channels == 3) {
            filter_row_twins(in, out, axis, 3, readable);
        } else {
            filter_row_twins(in, out, axis, 4, readable);
        }
        return;
    }
#endif
    filter_row_any(in, out, axis, channels);
}

/// Output row `y` of a vertical pass: the weighted sum of rows of `source` (whose first row is source row
/// `row_begin`), accumulated row by row so the inner loops run over contiguous bytes and vectorise.
__attribute__((target_clones("avx2", "default"))) static void
vertical_row_any(const ik_image *source, uint32_t row_begin, const axis_weights *axis, uint32_t y, int32_t *sums,
                 unsigned char *out) {
    size_t row_bytes = source->stride;
    const int32_t *weights = axis->weights + (size_t)y * axis->taps;
    const unsigned char *in = source->data + (size_t)(axis->first[y] - (int32_t)row_begin) * source->stride;
    int32_t weight = weights[0];
    for (size_t i = 0; i < row_bytes; i++) {
        sums[i] = HALF + in[i] * weight;
    }
    for (int32_t k = 1; k < axis->count[y]; k++) {
        in += source->stride;
        weight = weights[k];
        for (size_t i = 0; i < row_bytes; i++) {
            sums[i] += in[i] * weight;
        }
    }
    for (size_t i = 0; i < row_bytes; i++) {
        out[i] = clamp_fixed(sums[i]);
    }
}

#if defined(__x86_64__)
/// vertical_row_any with AVX2, two source rows per pass over the sums: the rows' bytes interleaved into 16-bit
/// pairs and multiplied by the two rows' weights with one multiply-add (pmaddwd), where the plain loop needs a
/// 32-bit multiply (slow) per sample and row.
__attribute__((target("avx2"))) static void vertical_row_pairs(const ik_image *source, uint32_t row_begin,
                                                               const axis_weights *axis, uint32_t y, int32_t *sums,
                                                               unsigned char *out) {
    size_t row_bytes = source->stride;
    size_t vector_end = row_bytes & ~(size_t)15;
    const int32_t *weights = axis->weights + (size_t)y * axis->taps;
    const unsigned char *in = source->data + (size_t)(axis->first[y] - (int32_t)row_begin) * source->stride;
    int32_t count = axis->count[y];
    for (size_t i = 0; i < row_bytes; i++) {
        sums[i] = HALF;
    }
    for (int32_t k = 0; k < count; k += 2) {
        const unsigned char *upper = in + (size_t)k * source->stride;
        // An odd last row pairs with itself at weight 0.
        int has_lower = k + 1 < count;
        const unsigned char *lower = has_lower ? upper + source->stride : upper;
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
        out[i] = clamp_fixed(sums[i]);
    }
}
#endif

/// Output row `y` of a vertical pass, with the fastest code the CPU runs.
static void vertical_row(const ik_image *source, uint32_t row_begin, const axis_weights *axis, uint32_t y,
                         int32_t *sums, unsigned char *out) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) {
        vertical_row_pairs(source, row_begin, axis, y, sums, out);
        return;
    }
#endif
    vertical_row_any(source, row_begin, axis, y, sums, out);
}

/// Whether an axis of `source_size` pixels maps [start, end) onto `size` pixels without any change.
static int is_identity(uint32_t source_size, double start, double end, uint32_t size) {
    return size == source_size && start == 0.0 && end == (double)source_size;
}

uint64_t ik__resize_peak_bytes(uint32_t source_width, uint32_t source_height, uint32_t channels,
                               const ik__resize_plan *plan) {
    // As resample and run_passes allocate: the result, the weights of each axis that changes, then (with a
    // vertical pass) 32-bit sums and one row as wide as the wider image, and the temporary image of the source
    // rows the vertical pass reads when enlarging vertically (at most all of them).
    int horizontal = !is_identity(source_width, plan->x0, plan->x1, plan->width);
    int vertical = !is_identity(source_height, plan->y0, plan->y1, plan->height);
    uint64_t bytes = ik__image_bytes(plan->width, plan->height, channels);
    if (horizontal) {
        bytes = ik__sat_add(bytes, axis_peak_bytes(source_width, plan->x0, plan->x1, plan->width));
    }
    if (vertical) {
        bytes = ik__sat_add(bytes, axis_peak_bytes(source_height, plan->y0, plan->y1, plan->height));
        uint64_t widest = ik__sat_mul(ik__max_u64(source_width, plan->width), channels);
        bytes = ik__sat_add(bytes, ik__sat_add(ik__sat_mul(widest, sizeof(int32_t) + 1), IK__ROW_SLACK));
        bytes = ik__sat_add(bytes, 2 * IK__ALLOCATION_SLACK);
        if (horizontal && plan->height > source_height) {
            bytes = ik__sat_add(bytes, ik__image_bytes(plan->width, source_height, channels));
        }
    }
    return bytes;
}

/// Vertical pass first, one output row at a time: the vertical sums of a full-width row into `row`, then that
/// row filtered horizontally into the output. Only one row of scratch, and the horizontal filter (the costlier
/// per sample) runs over output rows only.
static void vertical_then_horizontal(const ik_image *source, const axis_weights *columns, const axis_weights *rows,
                                     int horizontal, int32_t *sums, unsigned char *row, ik_image *result) {
    for (uint32_t y = 0; y < result->height; y++) {
        unsigned char *out = result->data + (size_t)y * result->stride;
        if (horizontal) {
            vertical_row(source, 0, rows, y, sums, row);
            filter_row(row, out, columns, source->channels, source->stride + IK__ROW_SLACK);
        } else {
            vertical_row(source, 0, rows, y, sums, out);
        }
    }
}

/// Horizontal pass first, into a temporary image of the source rows the vertical pass reads, then the vertical
/// pass: cheaper than the other order when the image grows vertically (fewer source rows than output rows).
static ik_status horizontal_then_vertical(const ik_image *source, const axis_weights *columns,
                                          const axis_weights *rows, int32_t *sums, ik_image *result, char *message,
                                          size_t capacity) {
    // `first` never decreases along an axis.
    uint32_t row_begin = (uint32_t)rows->first[0];
    uint32_t row_end = (uint32_t)(rows->first[rows->size - 1] + rows->count[rows->size - 1]);
    ik_image temporary;
    ik_status status = ik__image_alloc(&temporary, result->width, row_end - row_begin, source->channels, message,
                                       capacity);
    if (status != IK_OK) {
        return status;
    }
    for (uint32_t y = 0; y < temporary.height; y++) {
        filter_row(source->data + (size_t)(row_begin + y) * source->stride,
                   temporary.data + (size_t)y * temporary.stride, columns, source->channels,
                   source->stride + IK__ROW_SLACK);
    }
    for (uint32_t y = 0; y < result->height; y++) {
        vertical_row(&temporary, row_begin, rows, y, sums, result->data + (size_t)y * result->stride);
    }
    ik_image_free(&temporary);
    return IK_OK;
}

/// The passes `horizontal` and `vertical` asks for, from `source` into the allocated `result`.
static ik_status run_passes(const ik_image *source, const axis_weights *columns, const axis_weights *rows,
                            int horizontal, int vertical, ik_image *result, char *message, size_t capacity) {
    if (!vertical) {
        for (uint32_t y = 0; y < result->height; y++) {
            unsigned char *out = result->data + (size_t)y * result->stride;
            if (horizontal) {
                filter_row(source->data + (size_t)y * source->stride, out, columns, source->channels,
                           source->stride + IK__ROW_SLACK);
            } else {
                memcpy(out, source->data + (size_t)y * source->stride, result->stride);
            }
        }
        return IK_OK;
    }
    // Scratch: 32-bit sums and one 8-bit row, both as wide as the wider of source and result, plus slack.
    size_t widest = source->stride > result->stride ? source->stride : result->stride;
    size_t sum_bytes = 0;
    int32_t *sums = NULL;
    unsigned char *row = NULL;
    if (!ik__mul_size(widest, sizeof(int32_t), &sum_bytes) || (sums = malloc(sum_bytes)) == NULL ||
        (row = malloc(widest + IK__ROW_SLACK)) == NULL) {
        free(sums);
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for a resize row");
    }
    ik_status status = IK_OK;
    if (horizontal && result->height > source->height) {
        status = horizontal_then_vertical(source, columns, rows, sums, result, message, capacity);
    } else {
        vertical_then_horizontal(source, columns, rows, horizontal, sums, row, result);
    }
    free(row);
    free(sums);
    return status;
}

static ik_status resample(const ik_image *source, const ik__resize_plan *plan, ik_image *result, char *message,
                          size_t capacity) {
    int horizontal = !is_identity(source->width, plan->x0, plan->x1, plan->width);
    int vertical = !is_identity(source->height, plan->y0, plan->y1, plan->height);
    axis_weights columns = {0};
    axis_weights rows = {0};
    ik_status status = ik__image_alloc(result, plan->width, plan->height, source->channels, message, capacity);
    if (status == IK_OK && horizontal) {
        status = axis_init(&columns, source->width, plan->x0, plan->x1, plan->width, message, capacity);
    }
    if (status == IK_OK && vertical) {
        status = axis_init(&rows, source->height, plan->y0, plan->y1, plan->height, message, capacity);
    }
    if (status == IK_OK) {
        status = run_passes(source, &columns, &rows, horizontal, vertical, result, message, capacity);
    }
    axis_free(&columns);
    axis_free(&rows);
    if (status != IK_OK) {
        ik_image_free(result);
    }
    return status;
}

ik_status ik__resize(ik_image *source, const ik__resize_plan *plan, ik_image *result, char *message,
                     size_t capacity) {
    memset(result, 0, sizeof(*result));
    int premultiplied = ik__premultiply(source);
    ik_status status = resample(source, plan, result, message, capacity);
    if (status == IK_OK && premultiplied) {
        ik__unpremultiply(result);
    }
    return status;
}
