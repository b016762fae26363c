/*
 * pipeline.c — the whole job: probe, decode (scaled when that is free), the operations in order, encode.
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
static ik_status read_header(const unsigned char *data, size_t size, uint64_t max_pixels, ik_info *info,
                             char *message, size_t capacity) {
    ik_status status = ik_probe(data, size, info, message, capacity);
    if (status == IK_OK) {
        status = ik__check_dimensions(info->width, info->height, max_pixels, message, capacity);
    }
    return status;
}

static ik_status decode(const unsigned char *data, size_t size, ik_format format, const ik__jpeg_request *request,
                        ik_image *image, char *message, size_t capacity) {
    if (format == IK_FORMAT_JPEG) {
        return ik__jpeg_decode(data, size, request, image, message, capacity);
    }
    return ik__png_decode(data, size, request->max_pixels, image, message, capacity);
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
    status = decode(data, size, info.format, &request, image, message, capacity);
    if (status == IK_OK) {
        ik__clear_message(message, capacity);
    }
    return status;
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
        *plan = (ik__resize_plan){.x0 = upright.y0, .y0 = upright.x0, .x1 = upright.y1, .y1 = upright.x1,
                                  .width = upright.height, .height = upright.width};
    }
    return status;
}

/// Runs the operations on `image` (stored pixels, turned upright by `orientation` only at the end), replacing
/// it. `first_plan` is the plan of the first resize, already mapped onto the decoded size (a JPEG may have been
/// decoded scaled down); later resizes are planned from the size at hand.
static ik_status run_operations(const ik_options *options, int orientation, const ik__resize_plan *first_plan,
                                ik_image *image, char *message, size_t capacity) {
    int resized = 0;
    for (size_t i = 0; i < options->operation_count; i++) {
        if (options->operations[i] == IK_OP_GRAYSCALE) {
            ik__grayscale(image);
            continue;
        }
        ik__resize_plan plan = *first_plan;
        ik_status status = IK_OK;
        if (resized) {
            status = plan_upright(image->width, image->height, orientation, options, &plan, message, capacity);
        }
        ik_image result;
        if (status == IK_OK) {
            status = ik__resize(image, &plan, &result, message, capacity);
        }
        if (status != IK_OK) {
            return status;
        }
        ik_image_free(image);
        *image = result;
        resized = 1;
    }
    return ik__orient(image, orientation, message, capacity);
}

static ik_status encode(ik_image *image, ik_format format, int quality, ik__buffer *buffer, char *message,
                        size_t capacity) {
    if (format == IK_FORMAT_JPEG) {
        ik__flatten_on_white(image);
        return ik__jpeg_encode(image, quality, buffer, message, capacity);
    }
    return ik__png_encode(image, buffer, message, capacity);
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
    ik_format format = options->output_format == IK_OUTPUT_SAME ? info.format
                       : options->output_format == IK_OUTPUT_JPEG ? IK_FORMAT_JPEG
                                                                   : IK_FORMAT_PNG;
    int orientation = ik__read_orientation(data, size, info.format);
    int gray = contains(options, IK_OP_GRAYSCALE);
    if (info.format == IK_FORMAT_JPEG && format == IK_FORMAT_JPEG && options->operation_count == 1 && gray &&
        orientation == 1) {
        status = ik__jpeg_gray_transcode(data, size, options->jpeg_quality, options->max_pixels, output, message,
                                         capacity);
        if (status != IK_OK) {
            return status;
        }
        if (output->data != NULL) {
            ik__clear_message(message, capacity);
            return IK_OK;
        }
    }
    ik__jpeg_request request = {.scale_eighths = 8, .gray = gray, .max_pixels = options->max_pixels};
    ik__resize_plan plan = {0};
    int resizing = contains(options, IK_OP_RESIZE);
    if (resizing) {
        status = plan_upright(info.width, info.height, orientation, options, &plan, message, capacity);
        if (status != IK_OK) {
            return status;
        }
        request.scale_eighths = ik__plan_jpeg_scale(&plan);
    }
    ik_image image;
    status = decode(data, size, info.format, &request, &image, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    if (resizing) {
        ik__plan_rescale(&plan, info.width, info.height, image.width, image.height);
    }
    status = run_operations(options, orientation, &plan, &image, message, capacity);
    ik__buffer buffer = {0};
    if (status == IK_OK) {
        status = encode(&image, format, options->jpeg_quality, &buffer, message, capacity);
    }
    if (status == IK_OK) {
        output->data = buffer.data;
        output->size = buffer.size;
        output->width = image.width;
        output->height = image.height;
        output->format = format;
        ik__clear_message(message, capacity);
    }
    ik_image_free(&image);
    return status;
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
    ik_format format = options->output_format == IK_OUTPUT_SAME ? info.format
                       : options->output_format == IK_OUTPUT_JPEG ? IK_FORMAT_JPEG
                                                                   : IK_FORMAT_PNG;
    int orientation = ik__read_orientation(data, size, info.format);
    int gray = contains(options, IK_OP_GRAYSCALE);
    if (info.format == IK_FORMAT_JPEG && format == IK_FORMAT_JPEG && options->operation_count == 1 && gray &&
        orientation == 1) {
        int applies = 0;
        ik__encode_estimate transcode;
        status = ik__jpeg_gray_transcode_estimate(data, size, options->max_pixels, &applies, &transcode, message,
                                                  capacity);
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
    ik__jpeg_request request = {.scale_eighths = 8, .gray = gray, .max_pixels = options->max_pixels};
    ik__resize_plan plan = {0};
    int resizing = contains(options, IK_OP_RESIZE);
    if (resizing) {
        status = plan_upright(info.width, info.height, orientation, options, &plan, message, capacity);
        if (status != IK_OK) {
            return status;
        }
        request.scale_eighths = ik__plan_jpeg_scale(&plan);
    }
    ik__decode_estimate decoded;
    status = decode_estimate(data, size, info.format, &request, &decoded, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    uint64_t peak = decoded.peak_bytes;
    uint32_t width = decoded.width;
    uint32_t height = decoded.height;
    uint32_t channels = decoded.channels;
    // Grayscale and flattening work in place: the buffer keeps the size it was allocated with.
    uint64_t image = ik__image_bytes(width, height, channels);
    if (resizing) {
        ik__plan_rescale(&plan, info.width, info.height, width, height);
    }
    // run_operations: grayscale works in place; a resize holds its source and everything it allocates.
    int resized = 0;
    for (size_t i = 0; i < options->operation_count; i++) {
        if (options->operations[i] == IK_OP_GRAYSCALE) {
            channels = channels == 3 ? 1 : channels == 4 ? 2 : channels;
            continue;
        }
        ik__resize_plan step = plan;
        if (resized) {
            status = plan_upright(width, height, orientation, options, &step, message, capacity);
            if (status != IK_OK) {
                return status;
            }
        }
        peak = ik__max_u64(peak, ik__sat_add(image, ik__resize_peak_bytes(width, height, channels, &step)));
        width = step.width;
        height = step.height;
        image = ik__image_bytes(width, height, channels);
        resized = 1;
    }
    uint64_t turned = ik__orient_peak_bytes(width, height, channels, orientation);
    peak = ik__max_u64(peak, ik__sat_add(image, turned));
    image = turned > 0 ? turned : image;
    if (ik__orientation_swaps_axes(orientation)) {
        uint32_t swap = width;
        width = height;
        height = swap;
    }
    // encode: JPEG flattens alpha in place.
    ik__encode_estimate encoded;
    if (format == IK_FORMAT_JPEG) {
        channels = channels == 2 ? 1 : channels == 4 ? 3 : channels;
        status = ik__jpeg_encode_estimate(width, height, channels, &encoded, message, capacity);
        if (status != IK_OK) {
            return status;
        }
    } else {
        ik__png_encode_estimate(width, height, channels, &encoded);
    }
    estimate->peak_bytes = ik__max_u64(peak, ik__sat_add(image, encoded.peak_bytes));
    estimate->output_bytes = encoded.output_bytes;
    ik__clear_message(message, capacity);
    return IK_OK;
}
