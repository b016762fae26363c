/*
 * jpeg_error.h — libjpeg error handling shared by the JPEG decoder and encoder.
 *
 * libjpeg reports a fatal error by calling error_exit, which must not return; the default one calls exit().
 * Ours records the message and longjmps back to the setjmp in the codec's inner function (see libjpeg-turbo's
 * example.c for the pattern). Warnings are recorded, never printed and never fatal.
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
    /// Set by a caller-side check that jumps out of libjpeg (too many scans).
    ik_status forced_status;
    char text[JMSG_LENGTH_MAX];
} ik__jpeg_error;

/// Points `error->manager` at our handlers and returns it, for `cinfo.err = ik__jpeg_error_init(&error)`.
struct jpeg_error_mgr *ik__jpeg_error_init(ik__jpeg_error *error);

/// The status and message for a jump back from libjpeg.
ik_status ik__jpeg_error_status(const ik__jpeg_error *error, char *message, size_t capacity);

#endif /* IMAGE_KERNEL_JPEG_ERROR_H */
