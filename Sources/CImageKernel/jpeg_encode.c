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

ik_status ik__jpeg_encode(const ik_image *image, int quality, ik__buffer *output, char *message, size_t capacity) {
    if (image->channels != 1 && image->channels != 3) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "JPEG needs 1 or 3 channels, not %u",
                        image->channels);
    }
    if (image->width > IK_JPEG_MAX_DIMENSION || image->height > IK_JPEG_MAX_DIMENSION) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity,
                        "image of %u x %u pixels is too large for JPEG (at most %u per side)", image->width,
                        image->height, IK_JPEG_MAX_DIMENSION);
    }
    struct jpeg_compress_struct cinfo;
    encode_state state;
    memset(&cinfo, 0, sizeof(cinfo));
    memset(&state, 0, sizeof(state));
    memset(output, 0, sizeof(*output));

    ik_status status = write_jpeg(&cinfo, &state, image, quality, output, message, capacity);
    jpeg_destroy_compress(&cinfo);
    if (status != IK_OK) {
        ik__buffer_free(output);
    }
    return status;
}
