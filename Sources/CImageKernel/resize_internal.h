/*
 * resize_internal.h — what the files of the Lanczos-3 resize share and nobody else sees: the fixed-point weights
 * of an axis (resize_weights.c) and the row filters over them, the plain ones (resize_filters.c) and the AVX2
 * ones beside them (resize_avx2.c, x86-64 only). The step of rows that drives them is resize.c.
 */
#ifndef IMAGE_KERNEL_RESIZE_INTERNAL_H
#define IMAGE_KERNEL_RESIZE_INTERNAL_H

#include "kernel_internal.h"

/// Weights are fixed point with this many fractional bits; every output pixel's add up to exactly 1 << this.
#define IK__RESIZE_PRECISION_BITS 14
/// What a sum starts from, so that shifting out the fraction rounds to nearest.
#define IK__RESIZE_HALF (1 << (IK__RESIZE_PRECISION_BITS - 1))

/// The weights of one axis: output pixel i is the sum over k < count[i] of source[first[i] + k] * weight.
typedef struct ik__axis_weights {
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
} ik__axis_weights;

/// A fixed-point sum as a sample: the fraction shifted out, clamped to 0...255.
static inline unsigned char ik__clamp_fixed(int32_t value) {
    value >>= IK__RESIZE_PRECISION_BITS;
    return (unsigned char)(value < 0 ? 0 : (value > 255 ? 255 : value));
}

/* ---- weights (resize_weights.c) ---- */

/// The most source pixels one output pixel reads on an axis mapping [start, end) of `source_size` pixels onto
/// `size`: the support on both sides and the centre, but no more than the whole axis, however large the
/// reduction.
uint32_t ik__axis_taps(uint32_t source_size, double start, double end, uint32_t size);

/// What ik__axis_init allocates, as it allocates it (its scratch included, though it is freed on return).
uint64_t ik__axis_peak_bytes(uint32_t source_size, double start, double end, uint32_t size);

/// Weights mapping the source interval [start, end) of an axis `source_size` long onto `size` output pixels.
/// Leaves nothing to free on error; otherwise free with ik__axis_free (which also takes a zeroed axis).
ik_status ik__axis_init(ik__axis_weights *axis, uint32_t source_size, double start, double end, uint32_t size,
                        char *message, size_t capacity);

void ik__axis_free(ik__axis_weights *axis);

/* ---- row filters (resize_filters.c, resize_avx2.c) ---- */

/// One row, horizontally. `readable`: how many bytes from `in` on may be read (the row, and what follows it in
/// its buffer, at least IK__ROW_SLACK). With the fastest code the CPU runs.
void ik__horizontal_row(const unsigned char *in, unsigned char *out, const ik__axis_weights *axis, uint32_t channels,
                        size_t readable);

/// ik__horizontal_row without the AVX2 pair filter: 1 or 2 channels one tap at a time, 3 or 4 with SSE2 (or
/// 4-lane vectors), compiled for AVX2 and for the baseline. Reads up to IK__ROW_SLACK bytes past the row.
void ik__horizontal_row_any(const unsigned char *in, unsigned char *out, const ik__axis_weights *axis,
                            uint32_t channels);

/// One output row of a vertical pass: the weighted sum of the `count` rows of `window`, `row_bytes` each, into
/// `out`, with `sums` (row_bytes of them) as scratch. With the fastest code the CPU runs.
void ik__vertical_row(const unsigned char *const *window, size_t row_bytes, const int32_t *weights, int32_t count,
                      int32_t *sums, unsigned char *out);

#if defined(__x86_64__)
/// ik__horizontal_row for 3 or 4 channels (a constant at each call) on a CPU with AVX2 (resize_avx2.c).
void ik__horizontal_row_twins(const unsigned char *in, unsigned char *out, const ik__axis_weights *axis,
                              uint32_t channels, size_t readable);

/// ik__vertical_row on a CPU with AVX2 (resize_avx2.c).
void ik__vertical_row_pairs(const unsigned char *const *window, size_t row_bytes, const int32_t *weights, int32_t count,
                            int32_t *sums, unsigned char *out);
#endif

#endif /* IMAGE_KERNEL_RESIZE_INTERNAL_H */
