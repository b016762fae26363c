/*
 * jpeg_destination.h — where the JPEG encoders write: a libjpeg destination over an ik__buffer, and the size
 * they reserve for it at once.
 */
#ifndef IMAGE_KERNEL_JPEG_DESTINATION_H
#define IMAGE_KERNEL_JPEG_DESTINATION_H

#include <stdio.h>

#include <jpeglib.h>

#include "kernel_internal.h"

/// A libjpeg destination that appends to an ik__buffer. Ours rather than jpeg_mem_dest: when jpeg_mem_dest grows
/// its buffer it frees the old one but publishes the new one only in term_destination, so after an error
/// mid-image the caller's pointer is stale and the new buffer leaks. Here the caller always owns the buffer.
typedef struct ik__jpeg_destination {
    /// First, so that the `dest` pointer libjpeg hands back can be cast to this struct.
    struct jpeg_destination_mgr manager;
    ik__buffer *output;
} ik__jpeg_destination;

/// The first reserve of the output buffer, and the least free space libjpeg is offered each time it fills it.
#define IK__JPEG_OUTPUT_CHUNK 65536u

/// The largest JPEG the encoders expect of a width x height image of 1 or 3 channels (the pixel encoder's 4:2:0,
/// gray one component), and what they reserve for their output at once: the worst case libjpeg-turbo's
/// tjBufSize() allows for, 2 bytes a sample of every component (coefficients are 16 bits: noise at quality 100
/// can grow beyond the raw pixels), padded to the MCU, plus 2048 for the headers; 2 bytes a pixel for gray, 3 for
/// 4:2:0. At least IK__JPEG_OUTPUT_CHUNK, so that the first offer of space fits too. A larger JPEG is still
/// written (the buffer doubles), beyond what ik_estimate_peak foresaw.
uint64_t ik__jpeg_worst_size(uint32_t width, uint32_t height, uint32_t channels);

/// Points `cinfo->dest` at `destination`, which appends everything the compressor writes to `output`.
void ik__jpeg_destination_init(j_compress_ptr cinfo, ik__jpeg_destination *destination, ik__buffer *output);

#endif /* IMAGE_KERNEL_JPEG_DESTINATION_H */
