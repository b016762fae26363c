/*
 * resize.c — separable Lanczos-3 resampling.
 *
 * For each axis the weights are computed once: output pixel i takes source pixels around its centre, weighted by
 * lanczos3(distance / filter_scale), where filter_scale is the reduction factor (1 when enlarging), so a
 * reduction by 4 averages over 4 times as many pixels and does not alias. The weights of each output pixel are
 * normalised to sum to exactly 1 in fixed point (14 fractional bits), so a flat image stays flat.
 *
 * Two passes, in the cheaper order, over the rows as they come (a step of rows, ik__rows): the source rows go into
 * a ring that holds the few the vertical filter reads, and each output row is made as soon as the ring holds all
 * of its rows. Usually vertical first: the vertical sums over contiguous bytes (which vectorise well) give one
 * full-width row, which the horizontal filter (one vector multiply-add per pixel and tap) turns into the output
 * row; the horizontal filter then runs over output rows only. When the image grows vertically, horizontal first:
 * each source row is filtered into the ring as it comes. A pass is skipped when its axis neither scales nor
 * crops. Colour is filtered premultiplied by alpha. The hot loops are compiled twice, for AVX2 and for the
 * baseline, and the CPU picks at load time (target_clones).
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
    uint64_t bytes = 2 * ik__sat_mul(size, sizeof(int32_t));                                     /* first, count */
    bytes = ik__sat_add(bytes, ik__sat_mul(ik__sat_mul(taps, size), sizeof(int32_t)));           /* weights */
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
    case 1: filter_row_narrow(in, out, axis, 1); break;
    case 2: filter_row_narrow(in, out, axis, 2); break;
    case 3: filter_row_wide(in, out, axis, 3); break;
    default: filter_row_wide(in, out, axis, 4); break;
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

/// One output row of a vertical pass: the weighted sum of the `count` rows of `window`, `row_bytes` each,
/// accumulated row by row so the inner loops run over contiguous bytes and vectorise.
__attribute__((target_clones("avx2", "default"))) static void vertical_row_any(const unsigned char *const *window,
                                                                               size_t row_bytes, const int32_t *weights,
                                                                               int32_t count, int32_t *sums,
                                                                               unsigned char *out) {
    const unsigned char *in = window[0];
    int32_t weight = weights[0];
    for (size_t i = 0; i < row_bytes; i++) {
        sums[i] = HALF + in[i] * weight;
    }
    for (int32_t k = 1; k < count; k++) {
        in = window[k];
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
__attribute__((target("avx2"))) static void vertical_row_pairs(const unsigned char *const *window, size_t row_bytes,
                                                               const int32_t *weights, int32_t count, int32_t *sums,
                                                               unsigned char *out) {
    size_t vector_end = row_bytes & ~(size_t)15;
    for (size_t i = 0; i < row_bytes; i++) {
        sums[i] = HALF;
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
        out[i] = clamp_fixed(sums[i]);
    }
}
#endif

/// One output row of a vertical pass, with the fastest code the CPU runs.
static void vertical_row(const unsigned char *const *window, size_t row_bytes, const int32_t *weights, int32_t count,
                         int32_t *sums, unsigned char *out) {
#if defined(__x86_64__)
    if (__builtin_cpu_supports("avx2")) {
        vertical_row_pairs(window, row_bytes, weights, count, sums, out);
        return;
    }
#endif
    vertical_row_any(window, row_bytes, weights, count, sums, out);
}

/// Whether an axis of `source_size` pixels maps [start, end) onto `size` pixels without any change.
static int is_identity(uint32_t source_size, double start, double end, uint32_t size) {
    return size == source_size && start == 0.0 && end == (double)source_size;
}

/// What a resize step allocates for a source of width x height x channels, as start allocates it and
/// ik__resize_rows_peak_bytes counts it.
typedef struct layout {
    int horizontal;
    int vertical;
    /// Horizontal pass first, when the image grows vertically: fewer source rows than output rows to filter.
    int horizontal_first;
    size_t stride;
    /// The ring of the rows the vertical pass reads (source rows, or filtered ones when horizontal first):
    /// row_bytes each, slot_bytes apart, room for the window and IK__ROWS_AHEAD - 1 rows more that a decoder
    /// writes ahead.
    uint64_t ring_rows;
    uint64_t ring_row_bytes;
    uint64_t slot_bytes;
    /// Source rows waiting for the horizontal filter (horizontal first, or no vertical pass): IK__ROWS_AHEAD rows.
    uint64_t input_bytes;
    /// A vertically filtered row before the horizontal filter (vertical first with both passes).
    uint64_t row_bytes;
} layout;

/// The layout of a resize from width x height x channels; the vertical pass's taps come from its plan.
static layout layout_for(uint32_t width, uint32_t height, uint32_t channels, const ik__resize_plan *plan) {
    layout result = {0};
    result.horizontal = !is_identity(width, plan->x0, plan->x1, plan->width);
    result.vertical = !is_identity(height, plan->y0, plan->y1, plan->height);
    result.horizontal_first = result.horizontal && result.vertical && plan->height > height;
    result.stride = (size_t)width * channels;
    if (result.vertical) {
        result.ring_rows = (uint64_t)axis_taps(height, plan->y0, plan->y1, plan->height) + IK__ROWS_AHEAD - 1;
        result.ring_row_bytes = result.horizontal_first ? (uint64_t)plan->width * channels : result.stride;
        // The filters' 4-byte stores pass a row's end: a slot's slack keeps them off the next slot's row.
        result.slot_bytes = result.ring_row_bytes + IK__ROW_SLACK;
    }
    if (!result.vertical || result.horizontal_first) {
        result.input_bytes = ik__sat_add(ik__sat_mul(result.stride, IK__ROWS_AHEAD), IK__ROW_SLACK);
    }
    if (result.horizontal && result.vertical && !result.horizontal_first) {
        result.row_bytes = result.stride + IK__ROW_SLACK;
    }
    return result;
}

/// A resize as a step of rows. Vertical pass first, one output row at a time, as soon as the ring holds the
/// source rows it needs: the vertical sums of a full-width row into `row`, then that row filtered horizontally
/// into the next step's row (the horizontal filter, the costlier per sample, runs over output rows only).
/// Horizontal first when the image grows vertically: each source row the vertical pass needs is filtered into
/// the ring as it comes, and the vertical pass reads the ring. Colour is filtered premultiplied by alpha.
typedef struct resize_rows {
    ik__rows rows; /* first: the step's methods */
    ik__rows *next;
    ik__resize_plan plan;
    /// The source size `plan` was made for; start maps the plan onto the size the rows come in.
    uint32_t planned_width;
    uint32_t planned_height;
    uint32_t width;
    uint32_t height;
    uint32_t channels;
    layout layout;
    axis_weights columns;
    axis_weights lines;
    unsigned char *ring;
    unsigned char *input;
    unsigned char *row;
    int32_t *sums;
    /// The ring rows one output row reads.
    const unsigned char **window;
    /// Source rows taken, output rows handed on.
    uint32_t received;
    uint32_t emitted;
    /// Whether a row taken so far had a pixel that is not opaque: the output rows are then un-premultiplied.
    int premultiplied;
} resize_rows;
_Static_assert(sizeof(resize_rows) <= IK__STEP_STRUCT_MAX, "IK__STEP_BYTES counts the struct");

static unsigned char *slot(const resize_rows *self, uint32_t source_row) {
    return self->ring + (size_t)(source_row % self->layout.ring_rows) * self->layout.slot_bytes;
}

uint64_t ik__resize_rows_peak_bytes(uint32_t width, uint32_t height, uint32_t channels, const ik__resize_plan *plan) {
    layout need = layout_for(width, height, channels, plan);
    uint64_t bytes = IK__STEP_BYTES;
    if (need.horizontal) {
        bytes = ik__sat_add(bytes, axis_peak_bytes(width, plan->x0, plan->x1, plan->width));
    }
    if (need.vertical) {
        bytes = ik__sat_add(bytes, axis_peak_bytes(height, plan->y0, plan->y1, plan->height));
        bytes = ik__sat_add(bytes, ik__sat_add(ik__sat_mul(need.ring_rows, need.slot_bytes), IK__ALLOCATION_SLACK));
        bytes = ik__sat_add(bytes, ik__sat_mul(need.ring_row_bytes, sizeof(int32_t)) + IK__ALLOCATION_SLACK);
        bytes = ik__sat_add(bytes, ik__sat_mul(need.ring_rows, sizeof(unsigned char *)) + IK__ALLOCATION_SLACK);
    }
    if (need.input_bytes > 0) {
        bytes = ik__sat_add(bytes, need.input_bytes + IK__ALLOCATION_SLACK);
    }
    if (need.row_bytes > 0) {
        bytes = ik__sat_add(bytes, need.row_bytes + IK__ALLOCATION_SLACK);
    }
    return bytes;
}

static ik_status resize_start(ik__rows *rows, uint32_t width, uint32_t height, uint32_t channels, char *message,
                              size_t capacity) {
    resize_rows *self = (resize_rows *)rows;
    ik__resize_plan *plan = &self->plan;
    ik__plan_rescale(plan, self->planned_width, self->planned_height, width, height);
    self->width = width;
    self->height = height;
    self->channels = channels;
    self->layout = layout_for(width, height, channels, plan);
    const layout *need = &self->layout;
    ik_status status = IK_OK;
    if (need->horizontal) {
        status = axis_init(&self->columns, width, plan->x0, plan->x1, plan->width, message, capacity);
    }
    if (status == IK_OK && need->vertical) {
        status = axis_init(&self->lines, height, plan->y0, plan->y1, plan->height, message, capacity);
    }
    if (status != IK_OK) {
        return status;
    }
    // The ring is at most taps + 3 rows of the wider image, each far below what the decoder already holds.
    int failed = 0;
    if (need->vertical) {
        failed |= (self->ring = malloc((size_t)(need->ring_rows * need->slot_bytes))) == NULL;
        failed |= (self->sums = malloc((size_t)need->ring_row_bytes * sizeof(int32_t))) == NULL;
        failed |= (self->window = malloc((size_t)need->ring_rows * sizeof(unsigned char *))) == NULL;
    }
    if (need->input_bytes > 0) {
        failed |= (self->input = malloc((size_t)need->input_bytes)) == NULL;
    }
    if (need->row_bytes > 0) {
        failed |= (self->row = malloc((size_t)need->row_bytes)) == NULL;
    }
    if (failed) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for resize rows");
    }
    return self->next->start(self->next, plan->width, plan->height, channels, message, capacity);
}

static unsigned char *resize_row(ik__rows *rows, uint32_t ahead) {
    resize_rows *self = (resize_rows *)rows;
    if (self->input != NULL) {
        return ahead < IK__ROWS_AHEAD ? self->input + ahead * self->layout.stride : NULL;
    }
    // A slot is free unless it holds a row from the oldest one the next output row reads on.
    uint32_t source_row = self->received + ahead;
    if (self->emitted < self->plan.height &&
        source_row >= (uint64_t)self->lines.first[self->emitted] + self->layout.ring_rows) {
        return NULL;
    }
    return slot(self, source_row);
}

/// Hands `out`, an output row written in the next step's row, on.
static ik_status hand_on(resize_rows *self, unsigned char *out, char *message, size_t capacity) {
    if (self->premultiplied) {
        ik__unpremultiply_row(out, self->plan.width, self->channels);
    }
    self->emitted++;
    return self->next->commit(self->next, 1, message, capacity);
}

/// The output rows whose source rows have all come, vertically (and horizontally) filtered.
static ik_status emit_ready(resize_rows *self, char *message, size_t capacity) {
    const axis_weights *lines = &self->lines;
    ik__rows *next = self->next;
    ik_status status = IK_OK;
    while (status == IK_OK && self->emitted < self->plan.height &&
           (uint32_t)(lines->first[self->emitted] + lines->count[self->emitted]) <= self->received) {
        uint32_t y = self->emitted;
        int32_t count = lines->count[y];
        for (int32_t k = 0; k < count; k++) {
            self->window[k] = slot(self, (uint32_t)(lines->first[y] + k));
        }
        const int32_t *weights = lines->weights + (size_t)y * lines->taps;
        unsigned char *out = next->row(next, 0);
        if (self->row != NULL) {
            vertical_row(self->window, self->layout.ring_row_bytes, weights, count, self->sums, self->row);
            filter_row(self->row, out, &self->columns, self->channels, self->layout.row_bytes);
        } else {
            vertical_row(self->window, self->layout.ring_row_bytes, weights, count, self->sums, out);
        }
        status = hand_on(self, out, message, capacity);
    }
    return status;
}

/// A source row from `input` without a vertical pass: filtered (or copied) into the next step's row.
static ik_status pass_row(resize_rows *self, const unsigned char *in, char *message, size_t capacity) {
    unsigned char *out = self->next->row(self->next, 0);
    if (self->layout.horizontal) {
        filter_row(in, out, &self->columns, self->channels, self->layout.stride + IK__ROW_SLACK);
    } else {
        memcpy(out, in, self->layout.stride);
    }
    return hand_on(self, out, message, capacity);
}

static ik_status resize_commit(ik__rows *rows, uint32_t count, char *message, size_t capacity) {
    resize_rows *self = (resize_rows *)rows;
    const layout *need = &self->layout;
    int alpha = self->channels == 2 || self->channels == 4;
    ik_status status = IK_OK;
    for (uint32_t i = 0; i < count && status == IK_OK; i++) {
        uint32_t source_row = self->received;
        unsigned char *in = self->input != NULL ? self->input + i * need->stride : slot(self, source_row);
        if (alpha) {
            self->premultiplied |= ik__premultiply_row(in, self->width, self->channels);
        }
        self->received++;
        if (!need->vertical) {
            status = pass_row(self, in, message, capacity);
            continue;
        }
        const axis_weights *lines = &self->lines;
        uint32_t last = (uint32_t)(lines->first[lines->size - 1] + lines->count[lines->size - 1]);
        // Horizontal first: only the rows the vertical pass reads are filtered (`first` never decreases).
        if (need->horizontal_first && source_row >= (uint32_t)lines->first[0] && source_row < last) {
            filter_row(in, slot(self, source_row), &self->columns, self->channels, need->stride + IK__ROW_SLACK);
        }
        status = emit_ready(self, message, capacity);
    }
    return status;
}

static void resize_release(ik__rows *rows) {
    resize_rows *self = (resize_rows *)rows;
    axis_free(&self->columns);
    axis_free(&self->lines);
    free(self->ring);
    free(self->input);
    free(self->row);
    free(self->sums);
    free(self->window);
    free(self);
}

ik_status ik__resize_rows_new(const ik__resize_plan *plan, uint32_t planned_width, uint32_t planned_height,
                              ik__rows *next, ik__rows **rows, char *message, size_t capacity) {
    resize_rows *self =
        ik__rows_alloc(sizeof(*self), (ik__rows){resize_start, resize_row, resize_commit, resize_release}, rows);
    if (self == NULL) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for a resize step");
    }
    self->next = next;
    self->plan = *plan;
    self->planned_width = planned_width;
    self->planned_height = planned_height;
    return IK_OK;
}
