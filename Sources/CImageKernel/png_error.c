/* png_error.c — libpng's error callbacks, turned into status codes. */
#include "png_error.h"

#include <stdio.h>
#include <string.h>

void ik__png_on_error(png_structp png, png_const_charp text) {
    ik__png_error *error = (ik__png_error *)png_get_error_ptr(png);
    snprintf(error->text, sizeof(error->text), "%s", text);
    // libpng's own allocation failures all say "Out of memory" (png_malloc, png_malloc_warn callers).
    if (strstr(text, "ut of memory") != NULL) {
        error->out_of_memory = 1;
    }
    png_longjmp(png, 1);
}

void ik__png_on_warning(png_structp png, png_const_charp text) {}

ik_status ik__png_error_status(const ik__png_error *error, char *message, size_t capacity) {
    if (error->saw_end_of_data) {
        return ik__fail(IK_ERR_TRUNCATED, message, capacity, "PNG data ends before the image is complete");
    }
    if (error->out_of_memory) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory in libpng");
    }
    return ik__fail_with_codec_message(IK_ERR_CORRUPT, message, capacity, "corrupt PNG", error->text);
}
