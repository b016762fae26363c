/*
 * jpeg_gray_transcode.c — a colour JPEG to a grayscale JPEG without leaving the DCT domain.
 *
 * The luma (Y) plane of a YCbCr JPEG is the image's grayscale already (BT.601, what decoding with
 * JCS_GRAYSCALE gives). Instead of decoding it to pixels (inverse DCT) and encoding those again (forward DCT),
 * its quantised DCT coefficients are requantised from the source's luma table to the table of the quality asked
 * for and written as a one-component baseline JPEG, as `jpegtran -grayscale` does losslessly. That skips both
 * transforms, the colour planes' inverse DCT, and every pixel buffer: what is left is entropy decoding, one
 * multiply per non-zero coefficient and entropy encoding. Requantising from the coefficients is also a little
 * more exact than the round trip through 8-bit pixels, which rounds and clamps twice.
 *
 * Only for YCbCr (or one-component grayscale) JPEGs whose luma has full resolution, which is every JPEG a camera
 * or an editor writes; anything else falls back to the pixel pipeline. libjpeg keeps the luma's coefficients of
 * the whole image in memory, 2 bytes a pixel (the colour components' arrays shrink to a block row each: see
 * ik__jpeg_read_header).
 */
#include "jpeg_destination.h"
#include "jpeg_error.h"
#include "jpeg_luma_source.h"
#include "jpeg_memory.h"

#include <string.h>

/// The largest coefficient magnitude written and the largest dequantised value read (an 8-bit image's DCT
/// coefficients stay below 2^13; this bound keeps (value + step / 2) * 2^16 / step within 32 bits).
#define MAX_COEFFICIENT 1023
#define MAX_DEQUANTISED 16383

typedef struct transcode_state {
    ik__jpeg_error error;
    ik__jpeg_progress progress;
    ik__jpeg_luma_source source;
    ik__jpeg_destination destination;
} transcode_state;

/// Whether the luma coefficients of this JPEG can be written on their own as a grayscale JPEG.
static int has_full_resolution_luma(j_decompress_ptr source) {
    int ycc = source->jpeg_color_space == JCS_YCbCr && source->num_components == 3;
    int gray = source->jpeg_color_space == JCS_GRAYSCALE && source->num_components == 1;
    return (ycc || gray) && source->comp_info[0].h_samp_factor == source->max_h_samp_factor &&
           source->comp_info[0].v_samp_factor == source->max_v_samp_factor;
}

/// Requantises `count` blocks from the table `from` to `to`: c' = round(c * from[k] / to[k]), in 32-bit integers
/// so the loop vectorises (AVX2 where the CPU has it, chosen at load time). The dequantised value c * from[k] is
/// clamped to what an 8-bit image's DCT can produce, so a crafted file cannot overflow the arithmetic; the
/// result is clamped to what baseline Huffman coding holds (AC within 10 bits; DC this small keeps every DC
/// difference within 11). Division is a multiply by 2^16 / to[k] rounded up, off by one at worst on a rounding
/// tie, far below the quantisation step.
__attribute__((target_clones("avx2", "default"))) static void requantise_blocks(JCOEF *coefficients, size_t count,
                                                                                const int32_t *from, const int32_t *to,
                                                                                const int32_t *reciprocal) {
    for (size_t block = 0; block < count; block++, coefficients += DCTSIZE2) {
        for (int k = 0; k < DCTSIZE2; k++) {
            int32_t value = coefficients[k] * from[k];
            value = value < -MAX_DEQUANTISED ? -MAX_DEQUANTISED : value > MAX_DEQUANTISED ? MAX_DEQUANTISED : value;
            int32_t magnitude = value < 0 ? -value : value;
            int32_t quotient = ((magnitude + (to[k] >> 1)) * reciprocal[k]) >> 16;
            quotient = quotient > MAX_COEFFICIENT ? MAX_COEFFICIENT : quotient;
            coefficients[k] = (JCOEF)(value < 0 ? -quotient : quotient);
        }
    }
}

/// Requantises every block of the luma plane from the table `from` to `to` (both in natural order, as the
/// coefficients are). Nothing to do when the tables are the same (the source was written at this quality).
static void requantise(j_decompress_ptr source, jvirt_barray_ptr plane, const JQUANT_TBL *from, const JQUANT_TBL *to) {
    int32_t from_step[DCTSIZE2];
    int32_t to_step[DCTSIZE2];
    int32_t reciprocal[DCTSIZE2];
    int same = 1;
    for (int k = 0; k < DCTSIZE2; k++) {
        from_step[k] = from->quantval[k];
        to_step[k] = to->quantval[k];
        reciprocal[k] = (65536 + to_step[k] - 1) / to_step[k];
        same &= from_step[k] == to_step[k];
    }
    if (same) {
        return;
    }
    jpeg_component_info *luma = &source->comp_info[0];
    for (JDIMENSION row = 0; row < luma->height_in_blocks; row++) {
        JBLOCKARRAY blocks = (*source->mem->access_virt_barray)((j_common_ptr)source, plane, row, 1, TRUE);
        requantise_blocks(blocks[0][0], luma->width_in_blocks, from_step, to_step, reciprocal);
    }
}

static ik_status transcode(j_decompress_ptr source, j_compress_ptr target, transcode_state *state,
                           const unsigned char *data, size_t size, int quality, uint64_t max_pixels, ik__buffer *output,
                           ik_output *result, char *message, size_t capacity) {
    source->err = ik__jpeg_error_init(&state->error);
    target->err = &state->error.manager;
    if (setjmp(state->error.jump)) {
        return ik__jpeg_error_status(&state->error, message, capacity);
    }
    jpeg_create_decompress(source);
    jpeg_create_compress(target);
    ik__jpeg_limit_work(source, &state->progress);
    ik__jpeg_read_header(source, &state->source, data, size, 1);
    ik_status status = ik__check_dimensions(source->image_width, source->image_height, max_pixels, message, capacity);
    if (status != IK_OK || !has_full_resolution_luma(source)) {
        return status;
    }
    jvirt_barray_ptr *planes = jpeg_read_coefficients(source);
    if (state->error.saw_end_of_data) {
        return ik__fail(IK_ERR_TRUNCATED, message, capacity, "JPEG data ends before the image is complete");
    }
    if (!ik__buffer_reserve_exact(output, ik__jpeg_worst_size(source->image_width, source->image_height, 1))) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for the JPEG output");
    }
    ik__jpeg_destination_init(target, &state->destination, output);
    target->image_width = source->image_width;
    target->image_height = source->image_height;
    target->input_components = 1;
    target->in_color_space = JCS_GRAYSCALE;
    // The same defaults as the pixel encoder: JFIF, standard Huffman tables, the quality's luma table.
    jpeg_set_defaults(target);
    jpeg_set_quality(target, quality, TRUE);
    // libjpeg latches a component's table when its first scan starts: a file with no scan of its luma has none.
    const JQUANT_TBL *luma_table = source->comp_info[0].quant_table;
    if (luma_table == NULL) {
        return ik__fail(IK_ERR_CORRUPT, message, capacity, "the JPEG has no scan of its luma component");
    }
    requantise(source, planes[0], luma_table, target->quant_tbl_ptrs[target->comp_info[0].quant_tbl_no]);
    jpeg_write_coefficients(target, planes);
    jpeg_finish_compress(target);
    jpeg_finish_decompress(source);
    result->width = source->image_width;
    result->height = source->image_height;
    result->format = IK_FORMAT_JPEG;
    return IK_OK;
}

ik_status ik__jpeg_gray_transcode(const unsigned char *data, size_t size, int quality, uint64_t max_pixels,
                                  ik_output *result, char *message, size_t capacity) {
    struct jpeg_decompress_struct source;
    struct jpeg_compress_struct target;
    transcode_state state;
    ik__buffer output = {0};
    memset(&source, 0, sizeof(source));
    memset(&target, 0, sizeof(target));
    memset(&state, 0, sizeof(state));
    memset(result, 0, sizeof(*result));

    ik_status status =
        transcode(&source, &target, &state, data, size, quality, max_pixels, &output, result, message, capacity);
    jpeg_destroy_compress(&target);
    jpeg_destroy_decompress(&source);
    if (status != IK_OK || result->width == 0) {
        ik__buffer_free(&output);
        memset(result, 0, sizeof(*result));
        return status;
    }
    result->data = output.data;
    result->size = output.size;
    return IK_OK;
}

typedef struct estimate_state {
    ik__jpeg_error error;
    ik__jpeg_luma_source source;
} estimate_state;

static ik_status read_estimate(j_decompress_ptr source, estimate_state *state, const unsigned char *data, size_t size,
                               uint64_t max_pixels, int *applies, ik__encode_estimate *estimate, char *message,
                               size_t capacity) {
    source->err = ik__jpeg_error_init(&state->error);
    if (setjmp(state->error.jump)) {
        return ik__jpeg_error_status(&state->error, message, capacity);
    }
    jpeg_create_decompress(source);
    ik__jpeg_read_header(source, &state->source, data, size, 1);
    ik_status status = ik__check_dimensions(source->image_width, source->image_height, max_pixels, message, capacity);
    *applies = status == IK_OK && has_full_resolution_luma(source);
    if (!*applies) {
        return status;
    }
    // jpeg_read_coefficients keeps the luma's coefficients (the colour's arrays are replaced by a block row), the
    // compressor writes them from there; both objects' state; and the output, reserved at the worst case of a gray
    // JPEG of the same size, as the pixel encoder reserves it.
    ik__encode_estimate gray;
    status = ik__jpeg_encode_estimate(source->image_width, source->image_height, 1, &gray, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    estimate->output_bytes = gray.output_bytes;
    uint64_t coefficients = ik__jpeg_coefficient_bytes(source, state->source.colour_replaced);
    estimate->peak_bytes = ik__sat_add(ik__sat_add(coefficients, 2 * IK__JPEG_STATE_BYTES),
                                       ik__buffer_peak_bytes(gray.output_bytes, gray.output_bytes));
    return IK_OK;
}

ik_status ik__jpeg_gray_transcode_estimate(const unsigned char *data, size_t size, uint64_t max_pixels, int *applies,
                                           ik__encode_estimate *estimate, char *message, size_t capacity) {
    struct jpeg_decompress_struct source;
    estimate_state state;
    memset(&source, 0, sizeof(source));
    memset(&state, 0, sizeof(state));
    *applies = 0;
    ik_status status = read_estimate(&source, &state, data, size, max_pixels, applies, estimate, message, capacity);
    jpeg_destroy_decompress(&source);
    return status;
}
