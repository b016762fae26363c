/*
 * estimate.c — ik_estimate_peak: the steps ik_process would take, each with the estimate of what it allocates,
 * from the header alone. The peak is the largest sum of what is alive at once.
 */
#include "job.h"

#include <string.h>

/// The decoder's estimate, for the decoder ik_process runs (pipeline.c's decode).
static ik_status decode_estimate(const unsigned char *data, size_t size, ik_format format,
                                 const ik__jpeg_request *request, ik__decode_estimate *estimate, char *message,
                                 size_t capacity) {
    if (format == IK_FORMAT_JPEG) {
        return ik__jpeg_decode_estimate(data, size, request, estimate, message, capacity);
    }
    return ik__png_decode_estimate(data, size, request->max_pixels, estimate, message, capacity);
}

/// What the streaming part of a job holds at once, the decoder and every operation's step, and the size and
/// channels of the rows it leaves for the encoder (before the result is turned upright).
typedef struct stream_estimate {
    uint64_t peak_bytes;
    uint32_t width;
    uint32_t height;
    uint32_t channels;
} stream_estimate;

/// The operations' steps on top of the decoder's `decoded`, each for the rows the one before leaves.
static stream_estimate estimate_stream(const ik_options *options, const ik__job *job,
                                       const ik__decode_estimate *decoded) {
    // While the rows stream, the decoder and every step are alive at once.
    stream_estimate result = {decoded->peak_bytes, decoded->width, decoded->height, decoded->channels};
    uint32_t resize = 0;
    for (size_t i = 0; i < options->operation_count; i++) {
        if (options->operations[i] == IK_OP_GRAYSCALE) {
            uint64_t convert = ik__convert_rows_peak_bytes(IK__TO_GRAY, result.width, result.channels);
            result.peak_bytes = ik__sat_add(result.peak_bytes, convert);
            result.channels = ik__converted_channels(IK__TO_GRAY, result.channels);
            continue;
        }
        // As the step maps its plan onto the size its rows come in.
        ik__resize_plan step = job->plans.plans[resize];
        uint32_t planned_width = 0;
        uint32_t planned_height = 0;
        ik__planned_source(&job->plans, resize, &job->info, &planned_width, &planned_height);
        ik__plan_rescale(&step, planned_width, planned_height, result.width, result.height);
        uint64_t resized = ik__resize_rows_peak_bytes(result.width, result.height, result.channels, &step);
        result.peak_bytes = ik__sat_add(result.peak_bytes, resized);
        result.width = step.width;
        result.height = step.height;
        resize++;
    }
    return result;
}

/// The encoder's side of a job: what it holds at most (`encoding`: the encoder, after the step that flattens
/// alpha for JPEG), what it holds while it waits (`idle`: both steps exist, not yet started, from the beginning),
/// and the encoder's own estimate, for the largest output.
typedef struct encode_side {
    ik__encode_estimate encoded;
    uint64_t encoding;
    uint64_t idle;
} encode_side;

/// The encoder's side for an upright result of width x height x channels in `format`.
static ik_status estimate_encoding(ik_format format, uint32_t width, uint32_t height, uint32_t channels,
                                   encode_side *side, char *message, size_t capacity) {
    side->encoding = 0;
    side->idle = IK__STEP_BYTES;
    if (format == IK_FORMAT_JPEG) {
        uint32_t flattened = ik__converted_channels(IK__FLATTEN_ON_WHITE, channels);
        ik_status status = ik__jpeg_encode_estimate(width, height, flattened, &side->encoded, message, capacity);
        if (status != IK_OK) {
            return status;
        }
        side->encoding = ik__convert_rows_peak_bytes(IK__FLATTEN_ON_WHITE, width, channels);
        side->idle += IK__STEP_BYTES;
    } else {
        ik__png_encode_estimate(width, height, channels, &side->encoded);
    }
    side->encoding = ik__sat_add(side->encoding, side->encoded.peak_bytes);
    return IK_OK;
}

/// The peak of the whole job: the rows streaming into the encoder, or for a turned result the largest of its three
/// phases.
static uint64_t job_peak(const stream_estimate *stream, int orientation, const encode_side *side) {
    if (orientation == 1) {
        return ik__sat_add(stream->peak_bytes, side->encoding);
    }
    // A turned result: decoded into an image (the encoder idle), copied upright, then encoded from the copy.
    uint64_t kept = ik__image_rows_peak_bytes(stream->width, stream->height, stream->channels);
    uint64_t copy = ik__orient_peak_bytes(stream->width, stream->height, stream->channels, orientation);
    uint64_t peak = ik__sat_add(ik__sat_add(stream->peak_bytes, kept), side->idle);
    peak = ik__max_u64(peak, ik__sat_add(ik__sat_add(kept, copy), side->idle));
    return ik__max_u64(peak, ik__sat_add(copy, side->encoding));
}

/// The transcode's estimate when ik__jpeg_gray_transcode would take the job: sets `*applies` (to 0 otherwise).
static ik_status estimate_transcode(const unsigned char *data, size_t size, const ik_options *options, int *applies,
                                    ik_estimate *estimate, char *message, size_t capacity) {
    ik__encode_estimate transcode;
    ik_status status =
        ik__jpeg_gray_transcode_estimate(data, size, options->max_pixels, applies, &transcode, message, capacity);
    if (status == IK_OK && *applies) {
        estimate->peak_bytes = transcode.peak_bytes;
        estimate->output_bytes = transcode.output_bytes;
    }
    return status;
}

ik_status ik_estimate_peak(const unsigned char *data, size_t size, const ik_options *options, ik_estimate *estimate,
                           char *message, size_t capacity) {
    if (estimate == NULL || options == NULL || (data == NULL && size > 0)) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "estimate needs data, options and an estimate");
    }
    memset(estimate, 0, sizeof(*estimate));
    // The same steps as ik_process, each with the estimate of what it allocates; the peak is the largest sum of
    // what is alive at once.
    ik__job job;
    ik_status status = ik__prepare_job(data, size, options, &job, message, capacity);
    int applies = 0;
    if (status == IK_OK && job.may_transcode) {
        status = estimate_transcode(data, size, options, &applies, estimate, message, capacity);
    }
    if (status != IK_OK) {
        return status;
    }
    if (applies) {
        ik__clear_message(message, capacity);
        return IK_OK;
    }
    ik__decode_estimate decoded;
    status = decode_estimate(data, size, job.info.format, &job.request, &decoded, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    stream_estimate stream = estimate_stream(options, &job, &decoded);
    int swapped = ik__orientation_swaps_axes(job.orientation);
    encode_side side;
    status = estimate_encoding(job.format, swapped ? stream.height : stream.width,
                               swapped ? stream.width : stream.height, stream.channels, &side, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    estimate->peak_bytes = job_peak(&stream, job.orientation, &side);
    estimate->output_bytes = side.encoded.output_bytes;
    ik__clear_message(message, capacity);
    return IK_OK;
}
