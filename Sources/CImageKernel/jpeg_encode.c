/*
 * jpeg_encode.c — 8-bit gray or RGB to baseline JPEG through libjpeg.
 *
 * Outer/inner split as in jpeg_decode.c. The output goes to an ik__jpeg_destination (see jpeg_error.h), an
 * ik__buffer the outer function always owns.
 */
#include "jpeg_error.h"

#include <string.h>

typedef struct encode_state {
    ik__jpeg_error error;
    ik__jpeg_destination destination;
} encode_state;

static ik_status write_jpeg(j_compress_ptr cinfo, encode_state *state, const ik_image *image, int quality,
                            ik__buffer *output, char *message, size_t capacity) {
    cinfo->err = ik__jpeg_error_init(&state->error);
    if (setjmp(state->error.jump)) {
        return ik__jpeg_error_status(&state->error, message, capacity);
    }
    jpeg_create_compress(cinfo);
    ik__jpeg_destination_init(cinfo, &state->destination, output);

    cinfo->image_width = image->width;
    cinfo->image_height = image->height;
    cinfo->input_components = (int)image->channels;
    cinfo->in_color_space = image->channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    // Defaults: JFIF, 4:2:0 chroma for colour, Huffman tables from the standard (no extra optimisation pass).
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, quality, TRUE);
    jpeg_start_compress(cinfo, TRUE);
    while (cinfo->next_scanline < cinfo->image_height) {
        JSAMPROW rows[8];
        JDIMENSION count = cinfo->image_height - cinfo->next_scanline;
        count = count < 8 ? count : 8;
        for (JDIMENSION i = 0; i < count; i++) {
            rows[i] = image->data + (size_t)(cinfo->next_scanline + i) * image->stride;
        }
        jpeg_write_scanlines(cinfo, rows, count);
    }
    jpeg_finish_compress(cinfo);
    return IK_OK;
}

/// Whether the encoder takes an image of this shape.
static ik_status check_shape(uint32_t width, uint32_t height, uint32_t channels, char *message, size_t capacity) {
    if (channels != 1 && channels != 3) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "JPEG needs 1 or 3 channels, not %u", channels);
    }
    if (width > IK_JPEG_MAX_DIMENSION || height > IK_JPEG_MAX_DIMENSION) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity,
                        "image of %u x %u pixels is too large for JPEG (at most %u per side)", width, height,
                        IK_JPEG_MAX_DIMENSION);
    }
    return IK_OK;
}

ik_status ik__jpeg_encode_estimate(uint32_t width, uint32_t height, uint32_t channels, ik__encode_estimate *estimate,
                                   char *message, size_t capacity) {
    ik_status status = check_shape(width, height, channels, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    // An MCU is 8 x 8 for gray and 16 x 16 for 4:2:0 (max_h = max_v = 2).
    uint64_t mcu = channels == 1 ? 8 : 16;
    uint64_t padded_width = ((uint64_t)width + mcu - 1) / mcu * mcu;
    // The compressor's rows: for each component the colour-converted row group of jcprepct.c (max_v * 8 rows of
    // the width padded to the MCU) and the downsampled one of jcmainct.c (v * 8 rows): at most 2 * 16 rows of
    // the padded width, with their row pointers.
    uint64_t rows = 2 * 16;
    uint64_t strips = ik__sat_mul(channels, ik__sat_mul(padded_width + mcu, rows) + rows * sizeof(JSAMPROW));
    strips = ik__sat_add(strips, 2 * channels * IK__ALLOCATION_SLACK);
    // The output, reserved at its worst case at once.
    estimate->output_bytes = ik__jpeg_worst_size(width, height, channels);
    estimate->peak_bytes = ik__sat_add(ik__sat_add(IK__JPEG_STATE_BYTES, strips),
                                       ik__buffer_peak_bytes(estimate->output_bytes, estimate->output_bytes));
    return IK_OK;
}

ik_status ik__jpeg_encode(const ik_image *image, int quality, ik__buffer *output, char *message, size_t capacity) {
    ik_status checked = check_shape(image->width, image->height, image->channels, message, capacity);
    if (checked != IK_OK) {
        return checked;
    }
    struct jpeg_compress_struct cinfo;
    encode_state state;
    memset(&cinfo, 0, sizeof(cinfo));
    memset(&state, 0, sizeof(state));
    memset(output, 0, sizeof(*output));
    if (!ik__buffer_reserve_exact(output, ik__jpeg_worst_size(image->width, image->height, image->channels))) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for the JPEG output");
    }

    ik_status status = write_jpeg(&cinfo, &state, image, quality, output, message, capacity);
    jpeg_destroy_compress(&cinfo);
    if (status != IK_OK) {
        ik__buffer_free(output);
    }
    return status;
}
