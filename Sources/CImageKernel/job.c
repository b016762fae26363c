/*
 * job.c — what ik_process, ik_estimate_peak and ik_decode check and work out before any pixel: the options, the
 * header against the limits, the format to encode to, the orientation, and the plans of the resizes.
 */
#include "job.h"

#include <string.h>

/// Rejects options out of range, naming the first one found.
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

ik_status ik__read_header(const unsigned char *data, size_t size, uint64_t max_pixels, ik_info *info, char *message,
                          size_t capacity) {
    ik_status status = ik_probe(data, size, info, message, capacity);
    if (status == IK_OK) {
        status = ik__check_dimensions(info->width, info->height, max_pixels, message, capacity);
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
        *plan = (ik__resize_plan){.x0 = upright.y0,
                                  .y0 = upright.x0,
                                  .x1 = upright.y1,
                                  .y1 = upright.x1,
                                  .width = upright.height,
                                  .height = upright.width};
    }
    return status;
}

/// Plans every resize of `options` for the stored image `info` describes, whose upright form `orientation` turns.
static ik_status plan_resizes(const ik_info *info, int orientation, const ik_options *options, ik__resize_plans *result,
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

void ik__planned_source(const ik__resize_plans *plans, uint32_t index, const ik_info *info, uint32_t *width,
                        uint32_t *height) {
    *width = index > 0 ? plans->plans[index - 1].width : info->width;
    *height = index > 0 ? plans->plans[index - 1].height : info->height;
}

ik_status ik__prepare_job(const unsigned char *data, size_t size, const ik_options *options, ik__job *job,
                          char *message, size_t capacity) {
    ik_status status = validate(options, message, capacity);
    if (status == IK_OK) {
        status = ik__read_header(data, size, options->max_pixels, &job->info, message, capacity);
    }
    if (status != IK_OK) {
        return status;
    }
    ik_format input = job->info.format;
    job->format = options->output_format == IK_OUTPUT_SAME   ? input
                  : options->output_format == IK_OUTPUT_JPEG ? IK_FORMAT_JPEG
                                                             : IK_FORMAT_PNG;
    job->orientation = ik__read_orientation(data, size, input);
    job->gray = contains(options, IK_OP_GRAYSCALE);
    job->may_transcode = input == IK_FORMAT_JPEG && job->format == IK_FORMAT_JPEG && options->operation_count == 1 &&
                         job->gray && job->orientation == 1;
    status = plan_resizes(&job->info, job->orientation, options, &job->plans, message, capacity);
    job->request = (ik__jpeg_request){
        .scale_eighths = job->plans.scale_eighths, .gray = job->gray, .max_pixels = options->max_pixels};
    return status;
}
