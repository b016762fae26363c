/*
 * png_encode.c — 8-bit gray, gray+alpha, RGB or RGBA to PNG through libpng's full API.
 *
 * The full API (not png_image) because it sets the zlib level and the row filters. Adaptive filtering: libpng
 * picks the best of the five filters per row by the sum of absolute differences, the same heuristic as Pillow,
 * and on photographs most of the size gain. zlib level 4, the cheapest level with lazy matching: on the 16 MATE
 * photos (bench/) it writes files within 1 % of Pillow's level 6 (29.99 MB against 29.76 MB at full size in
 * gray, 8.27 against 8.34 MB resized to 800 wide) in 60 % of the time level 6 takes, where level 3 (greedy
 * matching) saves another 13 % of the time for files 7 to 10 % larger than Pillow's.
 */
#include "png_error.h"

#include <stdlib.h>
#include <string.h>

#define ZLIB_LEVEL 4

typedef struct encode_state {
    ik__png_error error;
    ik__buffer *output;
    png_structp png;
    png_infop info;
    png_bytep *rows;
} encode_state;

static void on_write(png_structp png, png_bytep bytes, size_t length) {
    encode_state *state = (encode_state *)png_get_io_ptr(png);
    if (!ik__buffer_append(state->output, bytes, length)) {
        state->error.out_of_memory = 1;
        png_error(png, "out of memory for the PNG output");
    }
}

static void on_flush(png_structp png) {}

static int color_type_for(uint32_t channels) {
    switch (channels) {
    case 1:
        return PNG_COLOR_TYPE_GRAY;
    case 2:
        return PNG_COLOR_TYPE_GRAY_ALPHA;
    case 3:
        return PNG_COLOR_TYPE_RGB;
    default:
        return PNG_COLOR_TYPE_RGB_ALPHA;
    }
}

static ik_status write_png(encode_state *state, const ik_image *image, char *message, size_t capacity) {
    state->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &state->error, ik__png_on_error, ik__png_on_warning);
    if (state->png == NULL || (state->info = png_create_info_struct(state->png)) == NULL) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for the PNG writer");
    }
    size_t pointer_bytes = 0;
    if (!ik__mul_size(image->height, sizeof(png_bytep), &pointer_bytes) ||
        (state->rows = malloc(pointer_bytes)) == NULL) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for PNG row pointers");
    }
    for (uint32_t y = 0; y < image->height; y++) {
        state->rows[y] = image->data + (size_t)y * image->stride;
    }
    png_structp png = state->png;
    png_infop info = state->info;
    if (setjmp(png_jmpbuf(png))) {
        return ik__png_error_status(&state->error, message, capacity);
    }
    png_set_write_fn(png, state, on_write, on_flush);
    png_set_compression_level(png, ZLIB_LEVEL);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_ALL_FILTERS);
    png_set_IHDR(png, info, image->width, image->height, 8, color_type_for(image->channels), PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    png_write_info(png, info);
    png_write_image(png, state->rows);
    png_write_end(png, NULL);
    return IK_OK;
}

/// The largest PNG of `height` rows of `row` bytes, what the encoder reserves for its output at once: every row
/// stored with its filter byte, deflate's worst case (stored blocks cost 5 bytes a 16 KB block, zlib's
/// deflateBound: under 1/2048), IDAT chunks of 8 KB with 12 bytes each (under 1/512 together), and the signature,
/// IHDR and IEND.
static uint64_t worst_size(uint64_t row, uint64_t height) {
    uint64_t raw = ik__sat_mul(height, ik__sat_add(row, 1));
    return ik__sat_add(raw, raw / 512 + 1024);
}

/// What libpng takes besides the rows to write, with room to spare: its structs, the 8 KB compression buffer
/// (PNG_ZBUF_SIZE), and zlib's deflate state at level 4 with the default window and memLevel 8: 2^17 + 2^17 bytes
/// (zlib.h's formula, (1 << (windowBits + 2)) + (1 << (memLevel + 9))) and a few KB more.
#define WRITER_STATE_BYTES (512u * 1024u)

void ik__png_encode_estimate(uint32_t width, uint32_t height, uint32_t channels, ik__encode_estimate *estimate) {
    uint64_t row = ik__sat_mul(width, channels);
    // libpng's rows (png_write_start_row): the filtered row and the previous one, and with every filter tried the
    // candidate and the best so far, each one byte longer than the row (its filter type).
    uint64_t bytes = ik__sat_mul(ik__sat_add(row, 1 + IK__ALLOCATION_SLACK), 4);
    bytes = ik__sat_add(bytes, ik__sat_add(ik__sat_mul(height, sizeof(png_bytep)), IK__ALLOCATION_SLACK));
    estimate->output_bytes = worst_size(row, height);
    estimate->peak_bytes = ik__sat_add(ik__sat_add(bytes, WRITER_STATE_BYTES),
                                       ik__buffer_peak_bytes(estimate->output_bytes, estimate->output_bytes));
}

ik_status ik__png_encode(const ik_image *image, ik__buffer *output, char *message, size_t capacity) {
    if (image->channels < 1 || image->channels > 4) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "PNG needs 1 to 4 channels, not %u",
                        image->channels);
    }
    encode_state state;
    memset(&state, 0, sizeof(state));
    memset(output, 0, sizeof(*output));
    state.output = output;
    if (!ik__buffer_reserve_exact(output, worst_size(image->stride, image->height))) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for the PNG output");
    }

    ik_status status = write_png(&state, image, message, capacity);
    png_destroy_write_struct(&state.png, &state.info);
    free(state.rows);
    if (status != IK_OK) {
        ik__buffer_free(output);
    }
    return status;
}
