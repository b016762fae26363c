/*
 * jpeg_encode.c — 8-bit gray or RGB to baseline JPEG through libjpeg.
 *
 * Outer/inner split as in jpeg_decode.c. The output goes to our own destination manager rather than
 * jpeg_mem_dest: when jpeg_mem_dest grows its buffer it frees the old one but only publishes the new one in
 * term_destination, so after an error mid-image the caller's pointer is stale and the new buffer leaks. Ours
 * appends to an ik__buffer the outer function always owns.
 */
#include "jpeg_error.h"

#include <jerror.h>
#include <string.h>

/// Bytes handed to libjpeg per empty_output_buffer call.
#define CHUNK_SIZE 65536

typedef struct encode_state {
    ik__jpeg_error error;
    struct jpeg_destination_mgr destination;
    ik__buffer *output;
} encode_state;

static encode_state *state_of(j_compress_ptr cinfo) { return (encode_state *)cinfo->client_data; }

/// Gives libjpeg the free tail of the buffer, at least CHUNK_SIZE bytes of it.
static void offer_space(j_compress_ptr cinfo) {
    encode_state *state = state_of(cinfo);
    ik__buffer *output = state->output;
    if (!ik__buffer_reserve(output, CHUNK_SIZE)) {
        ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
    }
    state->destination.next_output_byte = output->data + output->size;
    state->destination.free_in_buffer = output->capacity - output->size;
}

static void on_init_destination(j_compress_ptr cinfo) { offer_space(cinfo); }

/// libjpeg filled everything it was offered: count it as written and offer more.
static boolean on_empty_output_buffer(j_compress_ptr cinfo) {
    encode_state *state = state_of(cinfo);
    state->output->size = state->output->capacity;
    offer_space(cinfo);
    return TRUE;
}

static void on_term_destination(j_compress_ptr cinfo) {
    encode_state *state = state_of(cinfo);
    state->output->size = state->output->capacity - state->destination.free_in_buffer;
}

static ik_status write_jpeg(j_compress_ptr cinfo, encode_state *state, const ik_image *image, int quality,
                            char *message, size_t capacity) {
    cinfo->err = ik__jpeg_error_init(&state->error);
    if (setjmp(state->error.jump)) {
        return ik__jpeg_error_status(&state->error, message, capacity);
    }
    jpeg_create_compress(cinfo);
    cinfo->client_data = state;
    state->destination.init_destination = on_init_destination;
    state->destination.empty_output_buffer = on_empty_output_buffer;
    state->destination.term_destination = on_term_destination;
    cinfo->dest = &state->destination;

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
    state.output = output;

    ik_status status = write_jpeg(&cinfo, &state, image, quality, message, capacity);
    jpeg_destroy_compress(&cinfo);
    if (status != IK_OK) {
        ik__buffer_free(output);
    }
    return status;
}
