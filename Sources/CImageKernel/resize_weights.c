/*
 * resize_weights.c — the Lanczos-3 weights of one axis of a resize, computed once per axis.
 *
 * Output pixel i takes source pixels around its centre, weighted by lanczos3(distance / filter_scale), where
 * filter_scale is the reduction factor (1 when enlarging), so a reduction by 4 averages over 4 times as many
 * pixels and does not alias. The weights of each output pixel are normalised to sum to exactly 1 in fixed point
 * (IK__RESIZE_PRECISION_BITS fractional bits), so a flat image stays flat, and laid out three ways, one for each
 * kind of row filter (see ik__axis_weights).
 */
#include "resize_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define ONE (1 << IK__RESIZE_PRECISION_BITS)
#define LANCZOS_SUPPORT 3.0

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

void ik__axis_free(ik__axis_weights *axis) {
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

uint32_t ik__axis_taps(uint32_t source_size, double start, double end, uint32_t size) {
    double scale = (end - start) / size;
    double filter_scale = scale < 1.0 ? 1.0 : scale;
    double taps_wanted = ceil(LANCZOS_SUPPORT * filter_scale) * 2 + 1;
    return taps_wanted > source_size ? source_size : (uint32_t)taps_wanted;
}

uint64_t ik__axis_peak_bytes(uint32_t source_size, double start, double end, uint32_t size) {
    uint64_t taps = ik__axis_taps(source_size, start, end, size);
    uint64_t pair_count = (taps + 1) / 2;
    uint64_t bytes = 2 * ik__sat_mul(size, sizeof(int32_t));                                     /* first, count */
    bytes = ik__sat_add(bytes, ik__sat_mul(ik__sat_mul(taps, size), sizeof(int32_t)));           /* weights */
    bytes = ik__sat_add(bytes, ik__sat_mul(ik__sat_mul(pair_count, size) + 1, sizeof(int32_t))); /* pairs */
    bytes = ik__sat_add(bytes, ik__sat_mul(ik__sat_mul(pair_count, size / 2) + 1, 8 * sizeof(int32_t)));
    bytes = ik__sat_add(bytes, ik__sat_mul(taps, sizeof(double))); /* exact */
    return ik__sat_add(bytes, 6 * IK__ALLOCATION_SLACK);
}

/// Allocates the arrays of an axis of `size` output pixels and `taps` taps (`pairs` zeroed, the rest not);
/// `index_bytes` and `weight_bytes`, checked by the caller, are what `first` and `count`, and `weights`, take.
/// Returns 0 when one of them cannot be allocated: the axis then holds those that could, for ik__axis_free.
static int axis_alloc(ik__axis_weights *axis, uint32_t size, uint32_t taps, size_t index_bytes, size_t weight_bytes) {
    axis->size = size;
    axis->taps = taps;
    axis->pair_count = (taps + 1) / 2;
    axis->first = malloc(index_bytes);
    axis->count = malloc(index_bytes);
    axis->weights = malloc(weight_bytes);
    // pair_count * size <= taps * size (taps >= 1), so no new overflow.
    axis->pairs = calloc((size_t)axis->pair_count * size + 1, sizeof(int32_t));
    axis->twin_pairs = malloc(((size_t)axis->pair_count * (size / 2) + 1) * sizeof(*axis->twin_pairs));
    return axis->first != NULL && axis->count != NULL && axis->weights != NULL && axis->pairs != NULL &&
           axis->twin_pairs != NULL;
}

/// The source pixels [*first, *last) an output pixel centred at `centre` reads: source pixel k is centred at
/// k + 0.5, and those within `support` of the centre are taken, at most `taps` of them, at least the nearest one.
static void source_span(double centre, double support, uint32_t source_size, uint32_t taps, int32_t *first,
                        int32_t *last) {
    double low = floor(centre - support + 0.5);
    double high = floor(centre + support + 0.5);
    *first = low < 0 ? 0 : (int32_t)low;
    *last = high > source_size ? (int32_t)source_size : (int32_t)high;
    if (*last - *first > (int32_t)taps) {
        *last = *first + (int32_t)taps;
    }
    if (*last <= *first) {
        // Only for a rectangle at the very edge; take the nearest pixel.
        *first = centre >= source_size ? (int32_t)source_size - 1 : (int32_t)centre;
        *last = *first + 1;
    }
}

/// The weights of output pixel i, centred at `centre`, over the source pixels [first, last): lanczos3 normalised
/// to a sum of 1 (in `exact`, room for `taps`), then in fixed point and as 16-bit pairs.
static void pixel_weights(ik__axis_weights *axis, uint32_t i, double centre, double filter_scale, int32_t first,
                          int32_t last, double *exact) {
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

/// Fills `twin_pairs` from `pairs`: for output pixels 2q and 2q + 1, each pair four times side by side.
static void interleave_twins(ik__axis_weights *axis) {
    for (uint32_t q = 0; q < axis->size / 2; q++) {
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
}

ik_status ik__axis_init(ik__axis_weights *axis, uint32_t source_size, double start, double end, uint32_t size,
                        char *message, size_t capacity) {
    memset(axis, 0, sizeof(*axis));
    double scale = (end - start) / size;
    double filter_scale = scale < 1.0 ? 1.0 : scale;
    double support = LANCZOS_SUPPORT * filter_scale;
    uint32_t taps = ik__axis_taps(source_size, start, end, size);
    size_t weight_bytes = 0;
    size_t index_bytes = 0;
    if (!ik__mul_size(taps, size, &weight_bytes) || !ik__mul_size(weight_bytes, sizeof(int32_t), &weight_bytes) ||
        !ik__mul_size(size, sizeof(int32_t), &index_bytes)) {
        return ik__fail(IK_ERR_TOO_MANY_PIXELS, message, capacity, "resize weights do not fit in memory");
    }
    int allocated = axis_alloc(axis, size, taps, index_bytes, weight_bytes);
    double *exact = malloc(axis->taps * sizeof(double));
    if (!allocated || exact == NULL) {
        free(exact);
        ik__axis_free(axis);
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for resize weights");
    }
    for (uint32_t i = 0; i < size; i++) {
        double centre = start + (i + 0.5) * scale;
        int32_t first = 0;
        int32_t last = 0;
        source_span(centre, support, source_size, axis->taps, &first, &last);
        pixel_weights(axis, i, centre, filter_scale, first, last, exact);
    }
    interleave_twins(axis);
    free(exact);
    return IK_OK;
}
