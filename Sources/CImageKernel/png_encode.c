/*
 * png_encode.c — 8-bit gray, gray+alpha, RGB or RGBA rows to PNG through libpng's full API, as a step of rows.
 *
 * The full API (not png_image) because it sets the zlib level and the row filters. Adaptive filtering: libpng
 * picks the best of the five filters per row by the sum of absolute differences, the same heuristic as Pillow,
 * and on photographs most of the size gain. zlib level 4, the cheapest level with lazy matching: on the 16 MATE
 * photos (bench/) it writes files within 1 % of Pillow's level 6 (29.99 MB against 29.76 MB at full size in
 * gray, 8.27 against 8.34 MB resized to 800 wide) in 60 % of the time level 6 takes, where level 3 (greedy
 * matching) saves another 13 % of the time for files 7 to 10 % larger than Pillow's.
 *
 * Every call into libpng (start and commit) sets the jump target first, in its own frame, so an error returns
 * from that call.
 */
#include "png_error.h"

#include <stdlib.h>
#include <string.h>

#define ZLIB_LEVEL 4

typedef struct encoder {
    ik__rows rows; /* first: the step's methods */
    ik__png_error error;
    ik__buffer *output;
    png_structp png;
    png_infop info;
    size_t stride;
    uint32_t height;
    uint32_t written;
    /// IK__ROWS_AHEAD rows as they come.
    unsigned char *input;
} encoder;
_Static_assert(sizeof(encoder) <= IK__STEP_STRUCT_MAX, "IK__STEP_BYTES counts the struct");

static void on_write(png_structp png, png_bytep bytes, size_t length) {
    encoder *self = (encoder *)png_get_io_ptr(png);
    if (!ik__buffer_append(self->output, bytes, length)) {
        self->error.out_of_memory = 1;
        png_error(png, "out of memory for the PNG output");
    }
}

static void on_flush(png_structp png) {}

static int color_type_for(uint32_t channels) {
    switch (channels) {
    case 1: return PNG_COLOR_TYPE_GRAY;
    case 2: return PNG_COLOR_TYPE_GRAY_ALPHA;
    case 3: return PNG_COLOR_TYPE_RGB;
    default: return PNG_COLOR_TYPE_RGB_ALPHA;
    }
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
    // The step and the rows it takes.
    bytes = ik__sat_add(bytes, ik__sat_add(ik__sat_mul(row, IK__ROWS_AHEAD), IK__ROW_SLACK + IK__ALLOCATION_SLACK));
    bytes = ik__sat_add(bytes, IK__STEP_BYTES);
    estimate->output_bytes = worst_size(row, height);
    estimate->peak_bytes = ik__sat_add(ik__sat_add(bytes, WRITER_STATE_BYTES),
                                       ik__buffer_peak_bytes(estimate->output_bytes, estimate->output_bytes));
}

static ik_status encoder_start(ik__rows *rows, uint32_t width, uint32_t height, uint32_t channels, char *message,
                               size_t capacity) {
    encoder *self = (encoder *)rows;
    if (channels < 1 || channels > 4) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "PNG needs 1 to 4 channels, not %u", channels);
    }
    self->stride = (size_t)width * channels;
    self->height = height;
    // The decoder checked width * channels * height against size_t; IK__ROWS_AHEAD rows are fewer.
    self->input = malloc(self->stride * IK__ROWS_AHEAD + IK__ROW_SLACK);
    if (self->input == NULL || !ik__buffer_reserve_exact(self->output, worst_size(self->stride, height))) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for the PNG output");
    }
    self->png = png_create_write_struct(PNG_LIBPNG_VER_STRING, &self->error, ik__png_on_error, ik__png_on_warning);
    if (self->png == NULL || (self->info = png_create_info_struct(self->png)) == NULL) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for the PNG writer");
    }
    png_structp png = self->png;
    png_infop info = self->info;
    if (setjmp(png_jmpbuf(png))) {
        return ik__png_error_status(&self->error, message, capacity);
    }
    png_set_write_fn(png, self, on_write, on_flush);
    png_set_compression_level(png, ZLIB_LEVEL);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_ALL_FILTERS);
    png_set_IHDR(png, info, width, height, 8, color_type_for(channels), PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE,
                 PNG_FILTER_TYPE_BASE);
    png_write_info(png, info);
    return IK_OK;
}

static unsigned char *encoder_row(ik__rows *rows, uint32_t ahead) {
    encoder *self = (encoder *)rows;
    return ahead < IK__ROWS_AHEAD ? self->input + ahead * self->stride : NULL;
}

static ik_status encoder_commit(ik__rows *rows, uint32_t count, char *message, size_t capacity) {
    encoder *self = (encoder *)rows;
    png_structp png = self->png;
    if (setjmp(png_jmpbuf(png))) {
        return ik__png_error_status(&self->error, message, capacity);
    }
    for (uint32_t i = 0; i < count; i++) {
        png_write_row(png, self->input + i * self->stride);
    }
    self->written += count;
    if (self->written == self->height) {
        png_write_end(png, NULL);
    }
    return IK_OK;
}

static void encoder_release(ik__rows *rows) {
    encoder *self = (encoder *)rows;
    png_destroy_write_struct(&self->png, &self->info);
    free(self->input);
    free(self);
}

ik_status ik__png_encoder_new(ik__buffer *output, ik__rows **rows, char *message, size_t capacity) {
    memset(output, 0, sizeof(*output));
    encoder *self =
        ik__rows_alloc(sizeof(*self), (ik__rows){encoder_start, encoder_row, encoder_commit, encoder_release}, rows);
    if (self == NULL) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for the PNG encoder");
    }
    self->output = output;
    return IK_OK;
}
