/*
 * plan.c — the geometry of a resize: output size, the source rectangle it comes from, and the JPEG DCT scale
 * to decode at.
 */
#include "kernel_internal.h"

#include <math.h>

/// numerator * multiplier / denominator rounded to nearest, at least 1. Inputs are below 2^32 and 2^17, so
/// nothing overflows 64 bits.
static uint64_t scaled_side(uint64_t numerator, uint64_t multiplier, uint64_t denominator) {
    uint64_t value = (numerator * multiplier * 2 + denominator) / (denominator * 2);
    return value == 0 ? 1 : value;
}

ik_status ik__plan_resize(uint32_t source_width, uint32_t source_height, const ik_options *options,
                          ik__resize_plan *plan, char *message, size_t capacity) {
    uint64_t box_width = options->width;
    uint64_t box_height = options->height;
    if (box_width == 0 && box_height == 0) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "resize needs a width or a height");
    }
    if (box_width > IK_MAX_DIMENSION || box_height > IK_MAX_DIMENSION) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "resize width and height must be at most %u",
                        IK_MAX_DIMENSION);
    }
    plan->x0 = 0;
    plan->y0 = 0;
    plan->x1 = source_width;
    plan->y1 = source_height;
    uint64_t width = box_width;
    uint64_t height = box_height;
    // Which side limits the scale: the box is relatively wider than the image when W / w > H / h.
    int box_is_wider = box_width * source_height > box_height * source_width;
    if (box_height == 0 || (box_width != 0 && options->fit == IK_FIT_INSIDE && !box_is_wider)) {
        height = scaled_side(source_height, box_width, source_width);
    } else if (box_width == 0 || (options->fit == IK_FIT_INSIDE && box_is_wider)) {
        width = scaled_side(source_width, box_height, source_height);
    } else if (options->fit == IK_FIT_COVER) {
        // Scale by the larger ratio, then take the box's shape out of the centre of the source.
        if (box_is_wider) {
            double crop_height = (double)box_height * source_width / (double)box_width;
            plan->y0 = (source_height - crop_height) / 2;
            plan->y1 = plan->y0 + crop_height;
        } else {
            double crop_width = (double)box_width * source_height / (double)box_height;
            plan->x0 = (source_width - crop_width) / 2;
            plan->x1 = plan->x0 + crop_width;
        }
    }
    ik_status status = ik__check_dimensions(width, height, options->max_pixels, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    plan->width = (uint32_t)width;
    plan->height = (uint32_t)height;
    return IK_OK;
}

int ik__plan_jpeg_scale(const ik__resize_plan *plan) {
    double source_width = plan->x1 - plan->x0;
    double source_height = plan->y1 - plan->y0;
    for (int eighths = 1; eighths < 8; eighths++) {
        // libjpeg rounds a scaled side up (1203 rows at 4/8 give 602), so a side that lands on .5 still fits.
        double width = ceil(source_width * eighths / 8 - 1e-9);
        double height = ceil(source_height * eighths / 8 - 1e-9);
        if (width >= plan->width && height >= plan->height) {
            return eighths;
        }
    }
    return 8;
}

void ik__plan_rescale(ik__resize_plan *plan, uint32_t full_width, uint32_t full_height, uint32_t scaled_width,
                      uint32_t scaled_height) {
    double horizontal = (double)scaled_width / full_width;
    double vertical = (double)scaled_height / full_height;
    plan->x0 *= horizontal;
    plan->x1 *= horizontal;
    plan->y0 *= vertical;
    plan->y1 *= vertical;
}
