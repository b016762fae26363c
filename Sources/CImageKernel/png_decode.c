/*
 * png_decode.c — PNG of any colour type and bit depth to 8-bit gray, gray+alpha, RGB or RGBA through libpng.
 *
 * Outer/inner split as in jpeg_decode.c: ik__png_decode owns the libpng structs and, for an interlaced image,
 * the pixels and the row pointers; read_png calls setjmp. libpng's transformations do the conversion while it
 * reads: palette to RGB, 1/2/4-bit gray to 8, a tRNS chunk to an alpha channel, 16-bit to 8 (scaled with
 * rounding), Adam7 deinterlacing. A non-interlaced image is read row by row straight into the next step's rows;
 * an interlaced one needs all of its passes before any row is complete, so it is read into an image first.
 */
#include "png_error.h"

#include <stdlib.h>
#include <string.h>

typedef struct decode_state {
    ik__png_error error;
    const unsigned char *data;
    size_t size;
    size_t position;
    png_structp png;
    png_infop info;
    png_bytep *rows;
    ik_image image;
} decode_state;

static void on_read(png_structp png, png_bytep bytes, size_t length) {
    decode_state *state = (decode_state *)png_get_io_ptr(png);
    if (state->size - state->position < length) {
        state->error.saw_end_of_data = 1;
        png_error(png, "data ends early");
    }
    memcpy(bytes, state->data + state->position, length);
    state->position += length;
}

/// Asks libpng for 8-bit samples whatever the colour type and depth, alpha from tRNS, every Adam7 pass.
static void request_8bit(png_structp png, png_infop info) {
    int color_type = png_get_color_type(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    if (color_type == PNG_COLOR_TYPE_PALETTE) {
        png_set_palette_to_rgb(png);
    }
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) {
        png_set_expand_gray_1_2_4_to_8(png);
    }
    if (png_get_valid(png, info, PNG_INFO_tRNS)) {
        png_set_tRNS_to_alpha(png);
    }
    if (bit_depth == 16) {
        png_set_scale_16(png);
    }
    png_set_interlace_handling(png);
    png_read_update_info(png, info);
}

/// What libpng takes besides the image to read it, with room to spare: its structs, palette and tRNS (a few KB),
/// zlib's inflate state and 32 KB window, the IDAT read buffer (8 KB, PNG_IDAT_READ_SIZE).
#define READER_STATE_BYTES (128u * 1024u)

static ik_status read_png(decode_state *state, uint64_t max_pixels, ik__rows *rows, char *message, size_t capacity) {
    state->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state->error, ik__png_on_error, ik__png_on_warning);
    if (state->png == NULL || (state->info = png_create_info_struct(state->png)) == NULL) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for the PNG reader");
    }
    png_structp png = state->png;
    png_infop info = state->info;
    if (setjmp(png_jmpbuf(png))) {
        return ik__png_error_status(&state->error, message, capacity);
    }
    png_set_read_fn(png, state, on_read);
    // Every chunk but IHDR, PLTE, tRNS, IDAT and IEND is skipped unread (its CRC still checked): the kernel uses
    // none of them (the EXIF orientation is read by orientation.c), and libpng would otherwise inflate each
    // zTXt, iTXt and iCCP chunk, up to 8 MB apiece from 8 KB of deflate: a 1 x 1 PNG of 2 MB with 300 zTXt
    // chunks took 13 s to read.
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_read_info(png, info);

    uint32_t width = png_get_image_width(png, info);
    uint32_t height = png_get_image_height(png, info);
    ik_status status = ik__check_dimensions(width, height, max_pixels, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    request_8bit(png, info);

    uint32_t channels = png_get_channels(png, info);
    if (png_get_rowbytes(png, info) != (size_t)width * channels) {
        return ik__fail(IK_ERR_CORRUPT, message, capacity, "PNG rows do not convert to 8-bit samples");
    }
    if (png_get_interlace_type(png, info) == PNG_INTERLACE_NONE) {
        status = rows->start(rows, width, height, channels, message, capacity);
        for (uint32_t y = 0; y < height && status == IK_OK; y++) {
            png_read_row(png, rows->row(rows, 0), NULL);
            status = rows->commit(rows, 1, message, capacity);
        }
        return status;
    }
    status = ik__image_alloc(&state->image, width, height, channels, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    size_t pointer_bytes = 0;
    if (!ik__mul_size(height, sizeof(png_bytep), &pointer_bytes) || (state->rows = malloc(pointer_bytes)) == NULL) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for PNG row pointers");
    }
    for (uint32_t y = 0; y < height; y++) {
        state->rows[y] = state->image.data + (size_t)y * state->image.stride;
    }
    // All passes of an interlaced image are read here. The chunks after the image data (IEND and anything
    // ancillary) are not read: the pixels are complete, and a missing IEND loses nothing.
    png_read_image(png, state->rows);
    return ik__rows_push_image(&state->image, rows, message, capacity);
}

static ik_status read_estimate(decode_state *state, uint64_t max_pixels, ik__decode_estimate *estimate, char *message,
                               size_t capacity) {
    state->png = png_create_read_struct(PNG_LIBPNG_VER_STRING, &state->error, ik__png_on_error, ik__png_on_warning);
    if (state->png == NULL || (state->info = png_create_info_struct(state->png)) == NULL) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for the PNG reader");
    }
    png_structp png = state->png;
    png_infop info = state->info;
    if (setjmp(png_jmpbuf(png))) {
        return ik__png_error_status(&state->error, message, capacity);
    }
    png_set_read_fn(png, state, on_read);
    png_set_keep_unknown_chunks(png, PNG_HANDLE_CHUNK_NEVER, NULL, -1);
    png_read_info(png, info);
    uint32_t width = png_get_image_width(png, info);
    uint32_t height = png_get_image_height(png, info);
    ik_status status = ik__check_dimensions(width, height, max_pixels, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    request_8bit(png, info);
    estimate->width = width;
    estimate->height = height;
    estimate->channels = png_get_channels(png, info);
    // As read_png allocates: libpng's two rows (png_read_start_row: the row and the previous one, each as wide as
    // the deepest pixel any transformation makes, 8 bytes at most for 16-bit RGBA, padded to 8 pixels, plus 48);
    // and, interlaced, the image and a row pointer a row.
    uint64_t libpng_row = ik__sat_add(ik__sat_mul((uint64_t)width + 8, 8), 64 + IK__ALLOCATION_SLACK);
    uint64_t bytes = ik__sat_mul(libpng_row, 2);
    if (png_get_interlace_type(png, info) != PNG_INTERLACE_NONE) {
        bytes = ik__sat_add(bytes, ik__image_bytes(width, height, estimate->channels));
        bytes = ik__sat_add(bytes, ik__sat_add(ik__sat_mul(height, sizeof(png_bytep)), IK__ALLOCATION_SLACK));
    }
    estimate->peak_bytes = ik__sat_add(bytes, READER_STATE_BYTES);
    return IK_OK;
}

ik_status ik__png_decode_estimate(const unsigned char *data, size_t size, uint64_t max_pixels,
                                  ik__decode_estimate *estimate, char *message, size_t capacity) {
    decode_state state;
    memset(&state, 0, sizeof(state));
    memset(estimate, 0, sizeof(*estimate));
    state.data = data;
    state.size = size;
    ik_status status = read_estimate(&state, max_pixels, estimate, message, capacity);
    png_destroy_read_struct(&state.png, &state.info, NULL);
    return status;
}

ik_status ik__png_decode(const unsigned char *data, size_t size, uint64_t max_pixels, ik__rows *rows, char *message,
                         size_t capacity) {
    decode_state state;
    memset(&state, 0, sizeof(state));
    state.data = data;
    state.size = size;
    ik_status status = read_png(&state, max_pixels, rows, message, capacity);
    png_destroy_read_struct(&state.png, &state.info, NULL);
    free(state.rows);
    ik_image_free(&state.image);
    return status;
}
