/*
 * pipeline.c — the whole job: probe, decode (scaled when that is free), the operations in order, encode.
 *
 * The job streams: the decoder hands its rows to the first operation's step, each step hands its rows to the
 * next and the encoder takes the last, so no full-size image is held unless a codec needs one (a progressive
 * JPEG's coefficients, an interlaced PNG) or the result is turned by its EXIF orientation (at the output size).
 */
#include "job.h"

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
    ik_status status = ik__read_header(data, size, max_pixels, &info, message, capacity);
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
static ik_status build(const ik_options *options, const ik__job *job, ik__buffer *buffer, ik_image *turned,
                       steps *chain, ik__rows **first, ik__rows **encoding, char *message, size_t capacity) {
    ik_status status = job->format == IK_FORMAT_JPEG
                           ? ik__jpeg_encoder_new(options->jpeg_quality, buffer, &chain->encoder, message, capacity)
                           : ik__png_encoder_new(buffer, &chain->encoder, message, capacity);
    ik__rows *next = chain->encoder;
    if (status == IK_OK && job->format == IK_FORMAT_JPEG) {
        status = ik__convert_rows_new(IK__FLATTEN_ON_WHITE, next, &chain->flatten, message, capacity);
        next = chain->flatten;
    }
    *encoding = next;
    if (status == IK_OK && job->orientation != 1) {
        status = ik__image_rows_new(turned, &chain->image_rows, message, capacity);
        next = chain->image_rows;
    }
    const ik__resize_plans *plans = &job->plans;
    uint32_t resize = plans->count;
    for (size_t i = options->operation_count; i-- > 0 && status == IK_OK;) {
        ik__rows **step = &chain->operations[chain->operation_count++];
        if (options->operations[i] == IK_OP_GRAYSCALE) {
            status = ik__convert_rows_new(IK__TO_GRAY, next, step, message, capacity);
        } else {
            uint32_t width = 0;
            uint32_t height = 0;
            ik__planned_source(plans, --resize, &job->info, &width, &height);
            status = ik__resize_rows_new(&plans->plans[resize], width, height, next, step, message, capacity);
        }
        next = *step;
    }
    *first = next;
    return status;
}

/// Decodes into the steps of `plans`, turns the result upright when it must, and encodes it into `buffer`: the
/// pixel path of ik_process. Frees every step and image it makes; `buffer` is the caller's, also on error.
static ik_status run(const unsigned char *data, size_t size, const ik_options *options, const ik__job *job,
                     ik__buffer *buffer, char *message, size_t capacity) {
    ik_image turned = {0};
    steps chain = {0};
    ik__rows *first = NULL;
    ik__rows *encoding = NULL;
    ik_status status = build(options, job, buffer, &turned, &chain, &first, &encoding, message, capacity);
    if (status == IK_OK) {
        status = decode(data, size, job->info.format, &job->request, first, message, capacity);
    }
    // The operations' buffers go as soon as the decoder is done with them; a turned result is encoded from its
    // upright copy.
    release_operations(&chain);
    if (status == IK_OK && job->orientation != 1) {
        status = ik__orient(&turned, job->orientation, message, capacity);
        if (status == IK_OK) {
            status = ik__rows_push_image(&turned, encoding, message, capacity);
        }
    }
    ik_image_free(&turned);
    ik__rows_release(chain.flatten);
    ik__rows_release(chain.encoder);
    return status;
}

/// Hands the encoded `buffer` over to `output`, with the upright size of the result.
static void deliver(const ik__job *job, ik__buffer *buffer, ik_output *output) {
    const ik__resize_plans *plans = &job->plans;
    const ik__resize_plan *last = plans->count > 0 ? &plans->plans[plans->count - 1] : NULL;
    uint32_t width = last != NULL ? last->width : job->info.width;
    uint32_t height = last != NULL ? last->height : job->info.height;
    int swapped = ik__orientation_swaps_axes(job->orientation);
    output->data = buffer->data;
    output->size = buffer->size;
    output->width = swapped ? height : width;
    output->height = swapped ? width : height;
    output->format = job->format;
}

ik_status ik_process(const unsigned char *data, size_t size, const ik_options *options, ik_output *output,
                     char *message, size_t capacity) {
    if (output == NULL || options == NULL || (data == NULL && size > 0)) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "process needs data, options and an output");
    }
    memset(output, 0, sizeof(*output));
    ik__job job;
    ik_status status = ik__prepare_job(data, size, options, &job, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    if (job.may_transcode) {
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
    ik__buffer buffer = {0};
    status = run(data, size, options, &job, &buffer, message, capacity);
    if (status != IK_OK) {
        ik__buffer_free(&buffer);
        return status;
    }
    deliver(&job, &buffer, output);
    ik__clear_message(message, capacity);
    return IK_OK;
}
