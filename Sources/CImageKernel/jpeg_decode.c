/*
 * jpeg_decode.c — JPEG to 8-bit gray or RGB through libjpeg.
 *
 * Split in two as libjpeg-turbo's example.c explains: ik__jpeg_decode (outer) owns the decompressor, the error
 * manager and the scratch row, and frees them whatever happens; read_jpeg (inner) calls setjmp. Everything read
 * after a longjmp lives in the outer frame, reached through pointers that never change, so no local variable
 * modified after setjmp is read after the jump. The rows go straight into the next step's buffers; a step that
 * fails returns its status (its own codec jumps only within its own calls).
 */
#include "jpeg_error.h"
#include "jpeg_luma_source.h"
#include "jpeg_memory.h"

#include <stdlib.h>
#include <string.h>

/// State the inner function fills and the outer one releases.
typedef struct decode_state {
    ik__jpeg_error error;
    ik__jpeg_progress progress;
    ik__jpeg_luma_source source;
    /// One row of CMYK samples for the CMYK/YCCK to RGB conversion.
    unsigned char *cmyk_row;
} decode_state;

/// CMYK to RGB. Adobe's encoders store the inks inverted (0 = full ink), which libjpeg hands back unchanged;
/// then R = C' * K' / 255 where C' = 255 - C. Files without the Adobe marker store the inks as they are.
static void cmyk_to_rgb(const unsigned char *cmyk, unsigned char *rgb, uint32_t width, int adobe_inverted) {
    unsigned flip = adobe_inverted ? 0 : 255;
    for (uint32_t x = 0; x < width; x++, cmyk += 4, rgb += 3) {
        uint32_t k = cmyk[3] ^ flip;
        rgb[0] = (unsigned char)ik__div255((cmyk[0] ^ flip) * k);
        rgb[1] = (unsigned char)ik__div255((cmyk[1] ^ flip) * k);
        rgb[2] = (unsigned char)ik__div255((cmyk[2] ^ flip) * k);
    }
}

static J_COLOR_SPACE output_color_space(J_COLOR_SPACE input, int gray) {
    switch (input) {
    case JCS_GRAYSCALE: return JCS_GRAYSCALE;
    case JCS_CMYK:
    case JCS_YCCK:
        // libjpeg converts YCCK to CMYK but neither to RGB; cmyk_to_rgb does the rest.
        return JCS_CMYK;
    default: return gray ? JCS_GRAYSCALE : JCS_RGB;
    }
}

/// What to decode into, once the header is read: the colour space, the DCT scale, the upsampling.
static void configure(j_decompress_ptr cinfo, const ik__jpeg_request *request) {
    cinfo->out_color_space = output_color_space(cinfo->jpeg_color_space, request->gray);
    cinfo->scale_num = (unsigned int)request->scale_eighths;
    cinfo->scale_denom = 8;
    if (request->scale_eighths < 8) {
        // The image will be resampled down further: chroma that is still subsampled at this scale (4:2:2 at
        // 4/8) may be replicated rather than interpolated, which lets libjpeg-turbo upsample and convert to RGB
        // in one SIMD pass (merged upsampling); the resampling that follows averages the difference away.
        cinfo->do_fancy_upsampling = FALSE;
    }
}

/// The channels of the image read_jpeg fills (CMYK becomes RGB).
static uint32_t output_channels(j_decompress_ptr cinfo) {
    return cinfo->out_color_space == JCS_CMYK ? 3 : (uint32_t)cinfo->output_components;
}

/// What libjpeg and read_jpeg allocate to decode to rows, once the output dimensions are
/// known (jpeg_calc_output_dimensions): the fixed state; a progressive JPEG's coefficient arrays; for every
/// component the main buffer of jdmainct.c, (M + 2) row groups of v * DCT_scaled_size / M rows (M the smallest
/// DCT_scaled_size; the 2 are the context rows of fancy upsampling) of width_in_blocks * DCT_scaled_size
/// samples, with three row pointers a row (the buffer and jdmainct.c's two pointer lists), and the upsampler's
/// colour buffer, max_v rows of the output width rounded up to max_h (jdsample.c); a spare row of merged
/// upsampling (jdmerge.c) and our CMYK row, 4 bytes a pixel each.
static uint64_t decompressor_bytes(j_decompress_ptr cinfo, int colour_replaced) {
    uint64_t bytes = IK__JPEG_STATE_BYTES;
    if (cinfo->progressive_mode) {
        bytes = ik__sat_add(bytes, ik__jpeg_coefficient_bytes(cinfo, colour_replaced));
    }
    uint64_t smallest = cinfo->min_DCT_scaled_size > 0 ? (uint64_t)cinfo->min_DCT_scaled_size : 1;
    uint64_t max_h = (uint64_t)cinfo->max_h_samp_factor;
    uint64_t max_v = (uint64_t)cinfo->max_v_samp_factor;
    uint64_t upsampled_row = (cinfo->output_width + max_h - 1) / max_h * max_h;
    for (int ci = 0; ci < cinfo->num_components; ci++) {
        const jpeg_component_info *component = &cinfo->comp_info[ci];
        uint64_t scaled = (uint64_t)component->DCT_scaled_size;
        uint64_t row = ik__sat_mul(component->width_in_blocks, scaled);
        uint64_t group = (uint64_t)component->v_samp_factor * scaled / smallest;
        uint64_t rows = ik__sat_mul(group < 1 ? 1 : group, smallest + 2);
        bytes = ik__sat_add(bytes, ik__sat_mul(row, rows));
        bytes = ik__sat_add(bytes, ik__sat_mul(rows, 3 * sizeof(JSAMPROW)));
        bytes = ik__sat_add(bytes, ik__sat_add(ik__sat_mul(upsampled_row, max_v), max_v * sizeof(JSAMPROW)));
        bytes = ik__sat_add(bytes, 3 * IK__ALLOCATION_SLACK);
    }
    uint64_t pixel_row = ik__sat_mul(cinfo->output_width, 4);
    return ik__sat_add(bytes, 2 * ik__sat_add(pixel_row, IK__ALLOCATION_SLACK));
}

static ik_status read_jpeg(j_decompress_ptr cinfo, decode_state *state, const unsigned char *data, size_t size,
                           const ik__jpeg_request *request, ik__rows *rows, char *message, size_t capacity) {
    cinfo->err = ik__jpeg_error_init(&state->error);
    if (setjmp(state->error.jump)) {
        return ik__jpeg_error_status(&state->error, message, capacity);
    }
    jpeg_create_decompress(cinfo);
    ik__jpeg_limit_work(cinfo, &state->progress);
    ik__jpeg_read_header(cinfo, &state->source, data, size, request->gray);

    ik_status status =
        ik__check_dimensions(cinfo->image_width, cinfo->image_height, request->max_pixels, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    configure(cinfo, request);
    jpeg_start_decompress(cinfo);

    int cmyk = cinfo->out_color_space == JCS_CMYK;
    status = rows->start(rows, cinfo->output_width, cinfo->output_height, output_channels(cinfo), message, capacity);
    if (status != IK_OK) {
        return status;
    }
    if (cmyk) {
        size_t row_bytes = 0;
        if (!ik__mul_size(cinfo->output_width, 4, &row_bytes) || (state->cmyk_row = malloc(row_bytes)) == NULL) {
            return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for a CMYK row");
        }
    }
    while (cinfo->output_scanline < cinfo->output_height && status == IK_OK) {
        if (cmyk) {
            JSAMPROW cmyk_rows[1] = {state->cmyk_row};
            jpeg_read_scanlines(cinfo, cmyk_rows, 1);
            cmyk_to_rgb(state->cmyk_row, rows->row(rows, 0), cinfo->output_width, cinfo->saw_Adobe_marker);
            status = rows->commit(rows, 1, message, capacity);
        } else {
            // libjpeg returns up to rec_outbuf_height rows a call; offering several saves calls.
            JSAMPROW offered[IK__ROWS_AHEAD];
            JDIMENSION count = 0;
            JDIMENSION remaining = cinfo->output_height - cinfo->output_scanline;
            while (count < IK__ROWS_AHEAD && count < remaining && (offered[count] = rows->row(rows, count)) != NULL) {
                count++;
            }
            status = rows->commit(rows, jpeg_read_scanlines(cinfo, offered, count), message, capacity);
        }
    }
    if (status != IK_OK) {
        return status;
    }
    jpeg_finish_decompress(cinfo);
    if (state->error.saw_end_of_data) {
        return ik__fail(IK_ERR_TRUNCATED, message, capacity, "JPEG data ends before the image is complete");
    }
    return IK_OK;
}

ik_status ik__jpeg_decode(const unsigned char *data, size_t size, const ik__jpeg_request *request, ik__rows *rows,
                          char *message, size_t capacity) {
    struct jpeg_decompress_struct cinfo;
    decode_state state;
    memset(&cinfo, 0, sizeof(cinfo));
    memset(&state, 0, sizeof(state));
    ik_status status = read_jpeg(&cinfo, &state, data, size, request, rows, message, capacity);
    jpeg_destroy_decompress(&cinfo);
    free(state.cmyk_row);
    return status;
}

typedef struct estimate_state {
    ik__jpeg_error error;
    ik__jpeg_luma_source source;
} estimate_state;

static ik_status read_estimate(j_decompress_ptr cinfo, estimate_state *state, const unsigned char *data, size_t size,
                               const ik__jpeg_request *request, ik__decode_estimate *estimate, char *message,
                               size_t capacity) {
    cinfo->err = ik__jpeg_error_init(&state->error);
    if (setjmp(state->error.jump)) {
        return ik__jpeg_error_status(&state->error, message, capacity);
    }
    jpeg_create_decompress(cinfo);
    ik__jpeg_read_header(cinfo, &state->source, data, size, request->gray);
    ik_status status =
        ik__check_dimensions(cinfo->image_width, cinfo->image_height, request->max_pixels, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    configure(cinfo, request);
    jpeg_calc_output_dimensions(cinfo);
    estimate->width = cinfo->output_width;
    estimate->height = cinfo->output_height;
    estimate->channels = output_channels(cinfo);
    estimate->peak_bytes = decompressor_bytes(cinfo, state->source.colour_replaced);
    return IK_OK;
}

ik_status ik__jpeg_decode_estimate(const unsigned char *data, size_t size, const ik__jpeg_request *request,
                                   ik__decode_estimate *estimate, char *message, size_t capacity) {
    struct jpeg_decompress_struct cinfo;
    estimate_state state;
    memset(&cinfo, 0, sizeof(cinfo));
    memset(&state, 0, sizeof(state));
    memset(estimate, 0, sizeof(*estimate));
    ik_status status = read_estimate(&cinfo, &state, data, size, request, estimate, message, capacity);
    jpeg_destroy_decompress(&cinfo);
    return status;
}
