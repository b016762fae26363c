/*
 * jpeg_encode.c — 8-bit gray or RGB rows to baseline JPEG through libjpeg, as a step of rows.
 *
 * The rows are collected BATCH at a time and handed to libjpeg together. Every call into libjpeg (start and
 * commit) sets the jump target first, in its own frame, so an error returns from that call: nothing changed after
 * setjmp is read after the jump. The output goes to an ik__jpeg_destination (see jpeg_destination.h), an ik__buffer the
 * caller always owns.
 */
#include "jpeg_destination.h"
#include "jpeg_error.h"
#include "jpeg_memory.h"

#include <stdlib.h>
#include <string.h>

/// Rows handed to libjpeg at once: one of its 4:2:0 row groups is 16 rows, and fewer calls cost less.
#define BATCH 8u

typedef struct encoder {
    ik__rows rows; /* first: the step's methods */
    struct jpeg_compress_struct cinfo;
    ik__jpeg_error error;
    ik__jpeg_destination destination;
    ik__buffer *output;
    int quality;
    size_t stride;
    unsigned char *batch;
    uint32_t batched;
} encoder;
_Static_assert(sizeof(encoder) <= IK__STEP_STRUCT_MAX, "IK__STEP_BYTES counts the struct");

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
    // The step and its batch of rows.
    uint64_t own = ik__sat_add(ik__sat_mul(ik__sat_mul(width, channels), BATCH), IK__ROW_SLACK);
    own = ik__sat_add(own, IK__STEP_BYTES + IK__ALLOCATION_SLACK);
    // The output, reserved at its worst case at once.
    estimate->output_bytes = ik__jpeg_worst_size(width, height, channels);
    estimate->peak_bytes = ik__sat_add(ik__sat_add(IK__JPEG_STATE_BYTES, ik__sat_add(strips, own)),
                                       ik__buffer_peak_bytes(estimate->output_bytes, estimate->output_bytes));
    return IK_OK;
}

static ik_status encoder_start(ik__rows *rows, uint32_t width, uint32_t height, uint32_t channels, char *message,
                               size_t capacity) {
    encoder *self = (encoder *)rows;
    ik_status status = check_shape(width, height, channels, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    self->stride = (size_t)width * channels;
    // check_shape keeps a row within 65500 x 3 bytes.
    self->batch = malloc(self->stride * BATCH + IK__ROW_SLACK);
    if (self->batch == NULL || !ik__buffer_reserve_exact(self->output, ik__jpeg_worst_size(width, height, channels))) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for the JPEG output");
    }
    j_compress_ptr cinfo = &self->cinfo;
    cinfo->err = ik__jpeg_error_init(&self->error);
    if (setjmp(self->error.jump)) {
        return ik__jpeg_error_status(&self->error, message, capacity);
    }
    jpeg_create_compress(cinfo);
    ik__jpeg_destination_init(cinfo, &self->destination, self->output);
    cinfo->image_width = width;
    cinfo->image_height = height;
    cinfo->input_components = (int)channels;
    cinfo->in_color_space = channels == 1 ? JCS_GRAYSCALE : JCS_RGB;
    // Defaults: JFIF, 4:2:0 chroma for colour, Huffman tables from the standard (no extra optimisation pass).
    jpeg_set_defaults(cinfo);
    jpeg_set_quality(cinfo, self->quality, TRUE);
    jpeg_start_compress(cinfo, TRUE);
    return IK_OK;
}

static unsigned char *encoder_row(ik__rows *rows, uint32_t ahead) {
    encoder *self = (encoder *)rows;
    return self->batched + ahead < BATCH ? self->batch + (self->batched + ahead) * self->stride : NULL;
}

static ik_status encoder_commit(ik__rows *rows, uint32_t count, char *message, size_t capacity) {
    encoder *self = (encoder *)rows;
    j_compress_ptr cinfo = &self->cinfo;
    self->batched += count;
    if (self->batched < BATCH && cinfo->next_scanline + self->batched < cinfo->image_height) {
        return IK_OK;
    }
    if (setjmp(self->error.jump)) {
        return ik__jpeg_error_status(&self->error, message, capacity);
    }
    JSAMPROW batch[BATCH];
    for (uint32_t i = 0; i < self->batched; i++) {
        batch[i] = self->batch + i * self->stride;
    }
    jpeg_write_scanlines(cinfo, batch, self->batched);
    self->batched = 0;
    if (cinfo->next_scanline == cinfo->image_height) {
        jpeg_finish_compress(cinfo);
    }
    return IK_OK;
}

static void encoder_release(ik__rows *rows) {
    encoder *self = (encoder *)rows;
    // Safe on the zeroed struct of a step that never started.
    jpeg_destroy_compress(&self->cinfo);
    free(self->batch);
    free(self);
}

ik_status ik__jpeg_encoder_new(int quality, ik__buffer *output, ik__rows **rows, char *message, size_t capacity) {
    memset(output, 0, sizeof(*output));
    encoder *self =
        ik__rows_alloc(sizeof(*self), (ik__rows){encoder_start, encoder_row, encoder_commit, encoder_release}, rows);
    if (self == NULL) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for the JPEG encoder");
    }
    self->output = output;
    self->quality = quality;
    return IK_OK;
}
