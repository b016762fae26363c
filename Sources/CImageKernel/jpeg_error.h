/*
 * jpeg_error.h — libjpeg's fatal errors as status codes, and the work limit that stops a decode through them.
 *
 * libjpeg reports a fatal error by calling error_exit, which must not return; the default one calls exit().
 * Ours records the message and longjmps back to the setjmp in the codec's inner function (see libjpeg-turbo's
 * example.c for the pattern). Warnings are recorded, never printed and never fatal. The progress monitor that
 * keeps a decode within its work budget jumps back the same way, with a status of its own.
 */
#ifndef IMAGE_KERNEL_JPEG_ERROR_H
#define IMAGE_KERNEL_JPEG_ERROR_H

#include <setjmp.h>
#include <stdio.h>

#include <jpeglib.h>

#include "kernel_internal.h"

typedef struct ik__jpeg_error {
    /// First, so that the `err` pointer libjpeg hands back can be cast to this struct.
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    /// libjpeg hit the end of the data and inserted a fake end-of-image marker (warning JWRN_JPEG_EOF).
    int saw_end_of_data;
    /// Set by a caller-side check that jumps out of libjpeg (too many scans, too much work), with its message
    /// in `text`.
    ik_status forced_status;
    char text[JMSG_LENGTH_MAX];
} ik__jpeg_error;

/// Points `error->manager` at our handlers and returns it, for `cinfo.err = ik__jpeg_error_init(&error)`.
struct jpeg_error_mgr *ik__jpeg_error_init(ik__jpeg_error *error);

/// The status and message for a jump back from libjpeg.
ik_status ik__jpeg_error_status(const ik__jpeg_error *error, char *message, size_t capacity);

/// A progress monitor that keeps the decoding work within budget (IK_JPEG_MAX_PASSES).
typedef struct ik__jpeg_progress {
    /// First, so that the `progress` pointer libjpeg hands back can be cast to this struct.
    struct jpeg_progress_mgr manager;
    /// The last scan whose work was counted (libjpeg's input_scan_number).
    int counted_scan;
    uint64_t spent;
    uint64_t limit;
} ik__jpeg_progress;

/// Installs a progress monitor on a decompressor whose `err` is an ik__jpeg_error. libjpeg calls it before
/// every step of input, so it sees each scan's header before that scan's data is decoded; it stops a JPEG with
/// more than IK_JPEG_MAX_SCANS scans (IK_ERR_CORRUPT) and one whose scans add up to more work than
/// IK_JPEG_MAX_PASSES allows (IK_ERR_TOO_COMPLEX). `progress` must live as long as the decompressor.
void ik__jpeg_limit_work(j_decompress_ptr cinfo, ik__jpeg_progress *progress);

#endif /* IMAGE_KERNEL_JPEG_ERROR_H */
