/*
 * resize.c — separable Lanczos-3 resampling.
 *
 * For each axis the weights are computed once: output pixel i takes source pixels around its centre, weighted by
 * lanczos3(distance / filter_scale), where filter_scale is the reduction factor (1 when enlarging), so a
 * reduction by 4 averages over 4 times as many pixels and does not alias. The weights of each output pixel are
 * normalised to sum to exactly 1 in fixed point (14 fractional bits), so a flat image stays flat.
 *
 * Two passes: horizontal (each needed source row into a temporary image of output width), then vertical (each
 * output row as a weighted sum of temporary rows, accumulated row by row so the inner loop runs over contiguous
 * bytes). A pass is skipped when its axis neither scales nor crops. Colour is filtered premultiplied by alpha.
 */
#include "kernel_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

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

/// Weights mapping the source interval [start, end) of an axis `source_size` long onto `size` output pixels.
static ik_status axis_init(axis_weights *axis, uint32_t source_size, double start, double end, uint32_t size,
                           char *message, size_t capacity) {
    memset(axis, 0, sizeof(*axis));
    double scale = (end - start) / size;
    double filter_scale = scale < 1.0 ? 1.0 : scale;
    double support = LANCZOS_SUPPORT * filter_scale;
    // No output pixel reads more than the whole axis, however large the reduction.
    double taps_wanted = ceil(support) * 2 + 1;
    uint32_t taps = taps_wanted > source_size ? source_size : (uint32_t)taps_wanted;
    size_t weight_bytes = 0;
    size_t index_bytes = 0;
    if (!ik__mul_size(taps, size, &weight_bytes) || !ik__mul_size(weight_bytes, sizeof(int32_t), &weight_bytes) ||
        !ik__mul_size(size, sizeof(int32_t), &index_bytes)) {
        return ik__fail(IK_ERR_TOO_MANY_PIXELS, message, capacity, "resize weights do not fit in memory");
    }
    axis->size = size;
    axis->taps = taps;
    axis->first = malloc(index_bytes);
    axis->count = malloc(index_bytes);
    axis->weights = malloc(weight_bytes);
    double *exact = malloc(axis->taps * sizeof(double));
    if (axis->first == NULL || axis->count == NULL || axis->weights == NULL || exact == NULL) {
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
        quantise(exact, last - first, axis->weights + (size_t)i * axis->taps);
    }
    free(exact);
    return IK_OK;
}

static inline unsigned char clamp_fixed(int32_t value) {
    value >>= PRECISION_BITS;
    return (unsigned char)(value < 0 ? 0 : (value > 255 ? 255 : value));
}

/// One row, horizontally. `channels` is a constant at every call site, so each gets its own unrolled loop.
static inline void filter_row(const unsigned char *in, unsigned char *out, const axis_weights *axis,
                              const uint32_t channels) {
    for (uint32_t x = 0; x < axis->size; x++) {
        const int32_t *weights = axis->weights + (size_t)x * axis->taps;
        const unsigned char *pixel = in + (size_t)axis->first[x] * channels;
        int32_t sums[4] = {HALF, HALF, HALF, HALF};
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

/// Rows [row_begin, row_begin + result->height) of `source`, resampled horizontally into `result`.
static void horizontal_pass(const ik_image *source, uint32_t row_begin, const axis_weights *axis,
                            ik_image *result) {
    for (uint32_t y = 0; y < result->height; y++) {
        const unsigned char *in = source->data + (size_t)(row_begin + y) * source->stride;
        unsigned char *out = result->data + (size_t)y * result->stride;
        switch (source->channels) {
        case 1:
            filter_row(in, out, axis, 1);
            break;
        case 2:
            filter_row(in, out, axis, 2);
            break;
        case 3:
            filter_row(in, out, axis, 3);
            break;
        default:
            filter_row(in, out, axis, 4);
            break;
        }
    }
}

/// Every output row as a weighted sum of rows of `source`, whose first row is source row `row_begin`.
static void vertical_pass(const ik_image *source, uint32_t row_begin, const axis_weights *axis, int32_t *sums,
                          ik_image *result) {
    size_t row_bytes = result->stride;
    for (uint32_t y = 0; y < axis->size; y++) {
        const int32_t *weights = axis->weights + (size_t)y * axis->taps;
        for (size_t i = 0; i < row_bytes; i++) {
            sums[i] = HALF;
        }
        for (int32_t k = 0; k < axis->count[y]; k++) {
            const unsigned char *in = source->data + (size_t)(axis->first[y] + k - (int32_t)row_begin) * source->stride;
            int32_t weight = weights[k];
            for (size_t i = 0; i < row_bytes; i++) {
                sums[i] += in[i] * weight;
            }
        }
        unsigned char *out = result->data + (size_t)y * row_bytes;
        for (size_t i = 0; i < row_bytes; i++) {
            out[i] = clamp_fixed(sums[i]);
        }
    }
}

/// Whether an axis of `source_size` pixels maps [start, end) onto `size` pixels without any change.
static int is_identity(uint32_t source_size, double start, double end, uint32_t size) {
    return size == source_size && start == 0.0 && end == (double)source_size;
}

/// The passes `horizontal` and `vertical` asks for, from `source` into the allocated `result`.
static ik_status run_passes(const ik_image *source, const axis_weights *columns, const axis_weights *rows,
                            int horizontal, int vertical, ik_image *result, char *message, size_t capacity) {
    if (!vertical) {
        if (horizontal) {
            horizontal_pass(source, 0, columns, result);
        } else {
            memcpy(result->data, source->data, result->stride * result->height);
        }
        return IK_OK;
    }
    size_t sum_bytes = 0;
    int32_t *sums = NULL;
    if (!ik__mul_size(result->stride, sizeof(int32_t), &sum_bytes) || (sums = malloc(sum_bytes)) == NULL) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for a resize row");
    }
    ik_status status = IK_OK;
    if (horizontal) {
        // Only the source rows the vertical pass reads; `first` never decreases along an axis.
        uint32_t row_begin = (uint32_t)rows->first[0];
        uint32_t row_end = (uint32_t)(rows->first[rows->size - 1] + rows->count[rows->size - 1]);
        ik_image temporary;
        status = ik__image_alloc(&temporary, result->width, row_end - row_begin, source->channels, message, capacity);
        if (status == IK_OK) {
            horizontal_pass(source, row_begin, columns, &temporary);
            vertical_pass(&temporary, row_begin, rows, sums, result);
            ik_image_free(&temporary);
        }
    } else {
        vertical_pass(source, 0, rows, sums, result);
    }
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
