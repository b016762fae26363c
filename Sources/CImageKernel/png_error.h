/*
 * png_error.h — libpng error handling shared by the PNG decoder and encoder.
 *
 * libpng reports a fatal error through the error function, which must not return: ours keeps the message and
 * longjmps to the setjmp(png_jmpbuf(png)) in the codec's inner function. Warnings are dropped (libpng would
 * print them to stderr).
 */
#ifndef IMAGE_KERNEL_PNG_ERROR_H
#define IMAGE_KERNEL_PNG_ERROR_H

#include <png.h>

#include "kernel_internal.h"

typedef struct ik__png_error {
    /// The reader ran out of data (set by our read function just before it raises the error).
    int saw_end_of_data;
    /// An allocation inside libpng failed.
    int out_of_memory;
    char text[160];
} ik__png_error;

/// For png_create_*_struct(PNG_LIBPNG_VER_STRING, error, ik__png_on_error, ik__png_on_warning).
void ik__png_on_error(png_structp png, png_const_charp text);
void ik__png_on_warning(png_structp png, png_const_charp text);

/// The status and message for a jump back from libpng.
ik_status ik__png_error_status(const ik__png_error *error, char *message, size_t capacity);

#endif /* IMAGE_KERNEL_PNG_ERROR_H */
