/*
 * job.h — a job as ik_process and ik_estimate_peak both see it before any pixel (job.c): its header and options
 * checked, its output format and orientation, the plans of its resizes. Both walk the same steps from there, the
 * one running them (pipeline.c), the other adding up what each would allocate (estimate.c).
 */
#ifndef IMAGE_KERNEL_JOB_H
#define IMAGE_KERNEL_JOB_H

#include "kernel_internal.h"

/// Probes `data` and checks its size against the limit before any codec runs.
ik_status ik__read_header(const unsigned char *data, size_t size, uint64_t max_pixels, ik_info *info, char *message,
                          size_t capacity);

/// The resize plans of a job, in the order of its resizes, each for the size the one before leaves (the first
/// for the stored image at full size), and the JPEG DCT scale the first one allows.
typedef struct ik__resize_plans {
    ik__resize_plan plans[IK_MAX_OPERATIONS];
    uint32_t count;
    int scale_eighths;
} ik__resize_plans;

/// What ik_process and ik_estimate_peak work out before any pixel: the header, the format to encode to, the
/// EXIF orientation, whether the grayscale transcode may take the job, the plans of its resizes and what the
/// decoder is asked for.
typedef struct ik__job {
    ik_info info;
    ik_format format;
    int orientation;
    int gray;
    /// A JPEG to a JPEG, grayscale only, already upright: ik__jpeg_gray_transcode may do it (it says whether it
    /// does).
    int may_transcode;
    ik__resize_plans plans;
    ik__jpeg_request request;
} ik__job;

/// Checks the options and the header against each other and the limits, plans the resizes, and fills `job`.
ik_status ik__prepare_job(const unsigned char *data, size_t size, const ik_options *options, ik__job *job,
                          char *message, size_t capacity);

/// The source size plan `index` was made for: what the resize before it leaves, or the stored image's.
void ik__planned_source(const ik__resize_plans *plans, uint32_t index, const ik_info *info, uint32_t *width,
                        uint32_t *height);

#endif /* IMAGE_KERNEL_JOB_H */
