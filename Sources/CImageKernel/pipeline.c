/*
 * pipeline.c — the whole job: probe, decode (scaled when that is free), the operations in order, encode.
 *
 * The job streams: the decoder hands its rows to the first operation's step, each step hands its rows to the
 * next and the encoder takes the last, so no full-size image is held unless a codec needs one (a progressive
 * JPEG's coefficients, an interlaced PNG) or the result is turned by its EXIF orientation (at the output size).
 */
#include "kernel_internal.h"

#include <string.h>

void ik_options_init(ik_options *options) {
    memset(options, 0, sizeof(*options));
    options->fit = IK_FIT_INSIDE;
    options->output_format = IK_OUTPUT_SAME;
    options->jpeg_quality = 85;
    options->max_pixels = 100000000;
}

void ik_output_free(ik_output *output) {
    if (output == NULL) {
        return;
    }
    ik__buffer buffer = {output->data, output->size, output->size};
    ik__buffer_free(&buffer);
    memset(output, 0, sizeof(*output));
}

static ik_status validate(const ik_options *options, char *message, size_t capacity) {
    if (options->operation_count > IK_MAX_OPERATIONS) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "at most %d operations", IK_MAX_OPERATIONS);
    }
    for (size_t i = 0; i < options->operation_count; i++) {
        if (options->operations[i] != IK_OP_GRAYSCALE && options->operations[i] != IK_OP_RESIZE) {
            return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "operation %zu is unknown", i);
        }
    }
    if (options->fit != IK_FIT_INSIDE && options->fit != IK_FIT_COVER && options->fit != IK_FIT_FILL) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "fit is unknown");
    }
    if (options->output_format != IK_OUTPUT_SAME && options->output_format != IK_OUTPUT_JPEG &&
        options->output_format != IK_OUTPUT_PNG) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "output format is unknown");
    }
    if (options->jpeg_quality < 1 || options->jpeg_quality > 100) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "JPEG quality must be from 1 to 100");
    }
    if (options->max_pixels == 0) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "max_pixels must be above 0");
    }
    return IK_OK;
}

/// Probes `data` and checks its size against the limit before any codec runs.
static ik_status read_header(const unsigned char *data, size_t size, uint64_t max_pixels, ik_info *info, char *message,
                             size_t capacity) {
    ik_status status = ik_probe(data, size, info, message, capacity);
    if (status == IK_OK) {
        status = ik__check_dimensions(info->width, info->height, max_pixels, message, capacity);
    }
    return status;
}

static ik_status decode(const unsigned char *data, size_t size, ik_format format, const ik__jpeg_request *request,
                        ik__rows *rows, char *message, size_t capacity) {
    if (format == IK_FORMAT_JPEG) {
        return ik__jpeg_decode(data, size, request, rows, message, capacity);
    }
    return ik__png_decode(data, size, request->max_pixels, rows, message, capacity);
}

ik_status ik_decode(const unsigned char *data, size_t size, uint64_t max_pixels, ik_image *image, char *message,
                    size_t capacity) {
    if (image == NULL || (data == NULL && size > 0) || max_pixels == 0) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "decode needs data, an image and max_pixels");
    }
    memset(image, 0, sizeof(*image));
    ik_info info;
    ik_status status = read_header(data, size, max_pixels, &info, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    ik__jpeg_request request = {.scale_eighths = 8, .gray = 0, .max_pixels = max_pixels};
    ik__rows *rows = NULL;
    status = ik__image_rows_new(image, &rows, message, capacity);
    if (status == IK_OK) {
        status = decode(data, size, info.format, &request, rows, message, capacity);
    }
    ik__rows_release(rows);
    if (status != IK_OK) {
        ik_image_free(image);
        return status;
    }
    ik__clear_message(message, capacity);
    return IK_OK;
}

static int contains(const ik_options *options, ik_operation operation) {
    for (size_t i = 0; i < options->operation_count; i++) {
        if (options->operations[i] == operation) {
            return 1;
        }
    }
    return 0;
}

/// Plans a resize of a stored width x height image whose upright form is turned by `orientation`: the box
/// applies to the upright image, the plan to the stored pixels (axes swapped back for 5...8). A centred crop is
/// the same rectangle mirrored, so mirroring needs nothing more.
static ik_status plan_upright(uint32_t width, uint32_t height, int orientation, const ik_options *options,
                              ik__resize_plan *plan, char *message, size_t capacity) {
    if (!ik__orientation_swaps_axes(orientation)) {
        return ik__plan_resize(width, height, options, plan, message, capacity);
    }
    ik__resize_plan upright;
    ik_status status = ik__plan_resize(height, width, options, &upright, message, capacity);
    if (status == IK_OK) {
        *plan = (ik__resize_plan){.x0 = upright.y0,
                                  .y0 = upright.x0,
                                  .x1 = upright.y1,
                                  .y1 = upright.x1,
                                  .width = upright.height,
                                  .height = upright.width};
    }
    return status;
}

/// The resize plans of a job, in the order of its resizes, each for the size the one before leaves (the first
/// for the stored image at full size), and the JPEG DCT scale the first one allows.
typedef struct resize_plans {
    ik__resize_plan plans[IK_MAX_OPERATIONS];
    uint32_t count;
    int scale_eighths;
} resize_plans;

static ik_status plan_all(const ik_info *info, int orientation, const ik_options *options, resize_plans *result,
                          char *message, size_t capacity) {
    memset(result, 0, sizeof(*result));
    result->scale_eighths = 8;
    uint32_t width = info->width;
    uint32_t height = info->height;
    for (size_t i = 0; i < options->operation_count; i++) {
        if (options->operations[i] != IK_OP_RESIZE) {
            continue;
        }
        ik__resize_plan *plan = &result->plans[result->count];
        ik_status status = plan_upright(width, height, orientation, options, plan, message, capacity);
        if (status != IK_OK) {
            return status;
        }
        if (result->count++ == 0) {
            result->scale_eighths = ik__plan_jpeg_scale(plan);
        }
        width = plan->width;
        height = plan->height;
    }
    return IK_OK;
}

/// The source size plan `index` was made for: what the resize before it leaves, or the stored image's.
static void planned_source(const resize_plans *plans, uint32_t index, const ik_info *info, uint32_t *width,
                           uint32_t *height) {
    *width = index > 0 ? plans->plans[index - 1].width : info->width;
    *height = index > 0 ? plans->plans[index - 1].height : info->height;
}

/// The steps of one job, released together: the operations' (which the decoder feeds) and the encoder's.
typedef struct steps {
    ik__rows *operations[IK_MAX_OPERATIONS];
    size_t operation_count;
    /// The encoder and the step before it that flattens alpha for JPEG.
    ik__rows *encoder;
    ik__rows *flatten;
    /// The step that keeps the result in an image when it is turned upright before it is encoded.
    ik__rows *image_rows;
} steps;

/// Releases the steps the decoder feeds: the operations' and the one that keeps a result to be turned (not the
/// image it filled).
static void release_operations(steps *chain) {
    for (size_t i = 0; i < chain->operation_count; i++) {
        ik__rows_release(chain->operations[i]);
    }
    chain->operation_count = 0;
    ik__rows_release(chain->image_rows);
    chain->image_rows = NULL;
}

/// Builds the steps from the last to the first: the encoder (JPEG flattens alpha first), an image when the
/// result is turned upright, then the operations in reverse order, each handing its rows to the one built before
/// it. `*first` is the step the decoder feeds; `*encoding` is the flattening step or the encoder.
static ik_status build(const ik_options *options, const ik_info *info, const resize_plans *plans, ik_format format,
                       int orientation, ik__buffer *buffer, ik_image *turned, steps *chain, ik__rows **first,
                       ik__rows **encoding, char *message, size_t capacity) {
    ik_status status = format == IK_FORMAT_JPEG
                           ? ik__jpeg_encoder_new(options->jpeg_quality, buffer, &chain->encoder, message, capacity)
                           : ik__png_encoder_new(buffer, &chain->encoder, message, capacity);
    ik__rows *next = chain->encoder;
    if (status == IK_OK && format == IK_FORMAT_JPEG) {
        status = ik__convert_rows_new(IK__FLATTEN_ON_WHITE, next, &chain->flatten, message, capacity);
        next = chain->flatten;
    }
    *encoding = next;
    if (status == IK_OK && orientation != 1) {
        status = ik__image_rows_new(turned, &chain->image_rows, message, capacity);
        next = chain->image_rows;
    }
    uint32_t resize = plans->count;
    for (size_t i = options->operation_count; i-- > 0 && status == IK_OK;) {
        ik__rows **step = &chain->operations[chain->operation_count++];
        if (options->operations[i] == IK_OP_GRAYSCALE) {
            status = ik__convert_rows_new(IK__TO_GRAY, next, step, message, capacity);
        } else {
            uint32_t width = 0;
            uint32_t height = 0;
            planned_source(plans, --resize, info, &width, &height);
            status = ik__resize_rows_new(&plans->plans[resize], width, height, next, step, message, capacity);
        }
        next = *step;
    }
    *first = next;
    return status;
}

ik_status ik_process(const unsigned char *data, size_t size, const ik_options *options, ik_output *output,
                     char *message, size_t capacity) {
    if (output == NULL || options == NULL || (data == NULL && size > 0)) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "process needs data, options and an output");
    }
    memset(output, 0, sizeof(*output));
    ik_status status = validate(options, message, capacity);
    ik_info info;
    if (status == IK_OK) {
        status = read_header(data, size, options->max_pixels, &info, message, capacity);
    }
    if (status != IK_OK) {
        return status;
    }
    ik_format format = options->output_format == IK_OUTPUT_SAME   ? info.format
                       : options->output_format == IK_OUTPUT_JPEG ? IK_FORMAT_JPEG
                                                                  : IK_FORMAT_PNG;
    int orientation = ik__read_orientation(data, size, info.format);
    int gray = contains(options, IK_OP_GRAYSCALE);
    if (info.format == IK_FORMAT_JPEG && format == IK_FORMAT_JPEG && options->operation_count == 1 && gray &&
        orientation == 1) {
        status =
            ik__jpeg_gray_transcode(data, size, options->jpeg_quality, options->max_pixels, output, message, capacity);
        if (status != IK_OK) {
            return status;
        }
        if (output->data != NULL) {
            ik__clear_message(message, capacity);
            return IK_OK;
        }
    }
    resize_plans plans;
    status = plan_all(&info, orientation, options, &plans, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    ik__jpeg_request request = {.scale_eighths = plans.scale_eighths, .gray = gray, .max_pixels = options->max_pixels};
    ik__buffer buffer = {0};
    ik_image turned = {0};
    steps chain = {0};
    ik__rows *first = NULL;
    ik__rows *encoding = NULL;
    status = build(options, &info, &plans, format, orientation, &buffer, &turned, &chain, &first, &encoding, message,
                   capacity);
    if (status == IK_OK) {
        status = decode(data, size, info.format, &request, first, message, capacity);
    }
    // The operations' buffers go as soon as the decoder is done with them; a turned result is encoded from its
    // upright copy.
    release_operations(&chain);
    if (status == IK_OK && orientation != 1) {
        status = ik__orient(&turned, orientation, message, capacity);
        if (status == IK_OK) {
            status = ik__rows_push_image(&turned, encoding, message, capacity);
        }
    }
    ik_image_free(&turned);
    ik__rows_release(chain.flatten);
    ik__rows_release(chain.encoder);
    if (status != IK_OK) {
        ik__buffer_free(&buffer);
        return status;
    }
    const ik__resize_plan *last = plans.count > 0 ? &plans.plans[plans.count - 1] : NULL;
    uint32_t width = last != NULL ? last->width : info.width;
    uint32_t height = last != NULL ? last->height : info.height;
    int swapped = ik__orientation_swaps_axes(orientation);
    output->data = buffer.data;
    output->size = buffer.size;
    output->width = swapped ? height : width;
    output->height = swapped ? width : height;
    output->format = format;
    ik__clear_message(message, capacity);
    return IK_OK;
}

/// The decode's estimate, as `decode` will decode.
static ik_status decode_estimate(const unsigned char *data, size_t size, ik_format format,
                                 const ik__jpeg_request *request, ik__decode_estimate *estimate, char *message,
                                 size_t capacity) {
    if (format == IK_FORMAT_JPEG) {
        return ik__jpeg_decode_estimate(data, size, request, estimate, message, capacity);
    }
    return ik__png_decode_estimate(data, size, request->max_pixels, estimate, message, capacity);
}

ik_status ik_estimate_peak(const unsigned char *data, size_t size, const ik_options *options, ik_estimate *estimate,
                           char *message, size_t capacity) {
    if (estimate == NULL || options == NULL || (data == NULL && size > 0)) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "estimate needs data, options and an estimate");
    }
    memset(estimate, 0, sizeof(*estimate));
    // The same steps as ik_process, each with the estimate of what it allocates; the peak is the largest sum of
    // what is alive at once.
    ik_status status = validate(options, message, capacity);
    ik_info info;
    if (status == IK_OK) {
        status = read_header(data, size, options->max_pixels, &info, message, capacity);
    }
    if (status != IK_OK) {
        return status;
    }
    ik_format format = options->output_format == IK_OUTPUT_SAME   ? info.format
                       : options->output_format == IK_OUTPUT_JPEG ? IK_FORMAT_JPEG
                                                                  : IK_FORMAT_PNG;
    int orientation = ik__read_orientation(data, size, info.format);
    int gray = contains(options, IK_OP_GRAYSCALE);
    if (info.format == IK_FORMAT_JPEG && format == IK_FORMAT_JPEG && options->operation_count == 1 && gray &&
        orientation == 1) {
        int applies = 0;
        ik__encode_estimate transcode;
        status =
            ik__jpeg_gray_transcode_estimate(data, size, options->max_pixels, &applies, &transcode, message, capacity);
        if (status != IK_OK) {
            return status;
        }
        if (applies) {
            estimate->peak_bytes = transcode.peak_bytes;
            estimate->output_bytes = transcode.output_bytes;
            ik__clear_message(message, capacity);
            return IK_OK;
        }
    }
    resize_plans plans;
    status = plan_all(&info, orientation, options, &plans, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    ik__jpeg_request request = {.scale_eighths = plans.scale_eighths, .gray = gray, .max_pixels = options->max_pixels};
    ik__decode_estimate decoded;
    status = decode_estimate(data, size, info.format, &request, &decoded, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    // While the rows stream, the decoder and every step are alive at once.
    uint64_t streaming = decoded.peak_bytes;
    uint32_t width = decoded.width;
    uint32_t height = decoded.height;
    uint32_t channels = decoded.channels;
    uint32_t resize = 0;
    for (size_t i = 0; i < options->operation_count; i++) {
        if (options->operations[i] == IK_OP_GRAYSCALE) {
            streaming = ik__sat_add(streaming, ik__convert_rows_peak_bytes(IK__TO_GRAY, width, channels));
            channels = ik__converted_channels(IK__TO_GRAY, channels);
            continue;
        }
        // As the step maps its plan onto the size its rows come in.
        ik__resize_plan step = plans.plans[resize];
        uint32_t planned_width = 0;
        uint32_t planned_height = 0;
        planned_source(&plans, resize, &info, &planned_width, &planned_height);
        ik__plan_rescale(&step, planned_width, planned_height, width, height);
        streaming = ik__sat_add(streaming, ik__resize_rows_peak_bytes(width, height, channels, &step));
        width = step.width;
        height = step.height;
        resize++;
    }
    int swapped = ik__orientation_swaps_axes(orientation);
    uint32_t upright_width = swapped ? height : width;
    uint32_t upright_height = swapped ? width : height;
    // The encoder, after the step that flattens alpha for JPEG; both exist, not yet started, from the beginning.
    ik__encode_estimate encoded;
    uint64_t encoding = 0;
    uint64_t idle = IK__STEP_BYTES;
    if (format == IK_FORMAT_JPEG) {
        uint32_t flattened = ik__converted_channels(IK__FLATTEN_ON_WHITE, channels);
        status = ik__jpeg_encode_estimate(upright_width, upright_height, flattened, &encoded, message, capacity);
        if (status != IK_OK) {
            return status;
        }
        encoding = ik__convert_rows_peak_bytes(IK__FLATTEN_ON_WHITE, upright_width, channels);
        idle += IK__STEP_BYTES;
    } else {
        ik__png_encode_estimate(upright_width, upright_height, channels, &encoded);
    }
    encoding = ik__sat_add(encoding, encoded.peak_bytes);
    uint64_t peak = ik__sat_add(streaming, encoding);
    if (orientation != 1) {
        // A turned result: decoded into an image (the encoder idle), copied upright, then encoded from the copy.
        uint64_t kept = ik__image_rows_peak_bytes(width, height, channels);
        uint64_t copy = ik__orient_peak_bytes(width, height, channels, orientation);
        peak = ik__sat_add(ik__sat_add(streaming, kept), idle);
        peak = ik__max_u64(peak, ik__sat_add(ik__sat_add(kept, copy), idle));
        peak = ik__max_u64(peak, ik__sat_add(copy, encoding));
    }
    estimate->peak_bytes = peak;
    estimate->output_bytes = encoded.output_bytes;
    ik__clear_message(message, capacity);
    return IK_OK;
}
