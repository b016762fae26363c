/*
 * rows.c — the steps every streamed job shares: handing an image on row by row, keeping the rows in an image,
 * and the per-pixel conversions (grayscale, flattening alpha) as steps.
 */
#include "kernel_internal.h"

#include <stdlib.h>
#include <string.h>

void *ik__rows_alloc(size_t size, ik__rows methods, ik__rows **rows) {
    *rows = calloc(1, size);
    if (*rows != NULL) {
        **rows = methods;
    }
    return *rows;
}

void ik__rows_release(ik__rows *rows) {
    if (rows != NULL) {
        rows->release(rows);
    }
}

ik_status ik__rows_push_image(const ik_image *image, ik__rows *rows, char *message, size_t capacity) {
    ik_status status = rows->start(rows, image->width, image->height, image->channels, message, capacity);
    for (uint32_t y = 0; y < image->height && status == IK_OK; y++) {
        memcpy(rows->row(rows, 0), image->data + (size_t)y * image->stride, image->stride);
        status = rows->commit(rows, 1, message, capacity);
    }
    return status;
}

/* ---- the rows kept in an image ---- */

typedef struct image_rows {
    ik__rows rows; /* first: the step's methods */
    ik_image *image;
    uint32_t filled;
} image_rows;
_Static_assert(sizeof(image_rows) <= IK__STEP_STRUCT_MAX, "IK__STEP_BYTES counts the struct");

static ik_status image_start(ik__rows *rows, uint32_t width, uint32_t height, uint32_t channels, char *message,
                             size_t capacity) {
    image_rows *self = (image_rows *)rows;
    return ik__image_alloc(self->image, width, height, channels, message, capacity);
}

static unsigned char *image_row(ik__rows *rows, uint32_t ahead) {
    image_rows *self = (image_rows *)rows;
    uint32_t y = self->filled + ahead;
    return y < self->image->height ? self->image->data + (size_t)y * self->image->stride : NULL;
}

static ik_status image_commit(ik__rows *rows, uint32_t count, char *message, size_t capacity) {
    ((image_rows *)rows)->filled += count;
    return IK_OK;
}

static void image_release(ik__rows *rows) { free(rows); }

uint64_t ik__image_rows_peak_bytes(uint32_t width, uint32_t height, uint32_t channels) {
    return ik__sat_add(ik__image_bytes(width, height, channels), IK__STEP_BYTES);
}

ik_status ik__image_rows_new(ik_image *image, ik__rows **rows, char *message, size_t capacity) {
    memset(image, 0, sizeof(*image));
    image_rows *self =
        ik__rows_alloc(sizeof(*self), (ik__rows){image_start, image_row, image_commit, image_release}, rows);
    if (self == NULL) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for an image step");
    }
    self->image = image;
    return IK_OK;
}

/* ---- conversions ---- */

typedef struct convert_rows {
    ik__rows rows; /* first: the step's methods */
    ik__rows *next;
    ik__conversion conversion;
    uint32_t width;
    uint32_t channels;
    size_t stride;
    /// IK__ROWS_AHEAD rows as they come, NULL when the conversion leaves them as they are and they go to `next`.
    unsigned char *input;
} convert_rows;
_Static_assert(sizeof(convert_rows) <= IK__STEP_STRUCT_MAX, "IK__STEP_BYTES counts the struct");

uint32_t ik__converted_channels(ik__conversion conversion, uint32_t channels) {
    if (conversion == IK__TO_GRAY) {
        return channels >= 3 ? channels - 2 : channels;
    }
    return channels == 2 || channels == 4 ? channels - 1 : channels;
}

/// The bytes of the rows a conversion step keeps.
static uint64_t input_bytes(uint32_t width, uint32_t channels) {
    return ik__sat_add(ik__sat_mul(ik__sat_mul(width, channels), IK__ROWS_AHEAD), IK__ROW_SLACK);
}

uint64_t ik__convert_rows_peak_bytes(ik__conversion conversion, uint32_t width, uint32_t channels) {
    if (ik__converted_channels(conversion, channels) == channels) {
        return IK__STEP_BYTES;
    }
    return ik__sat_add(IK__STEP_BYTES, ik__sat_add(input_bytes(width, channels), IK__ALLOCATION_SLACK));
}

static ik_status convert_start(ik__rows *rows, uint32_t width, uint32_t height, uint32_t channels, char *message,
                               size_t capacity) {
    convert_rows *self = (convert_rows *)rows;
    uint32_t converted = ik__converted_channels(self->conversion, channels);
    if (converted != channels) {
        self->width = width;
        self->channels = channels;
        self->stride = (size_t)width * channels;
        // The decoder checked width * channels * height against size_t; IK__ROWS_AHEAD rows are fewer.
        self->input = malloc((size_t)input_bytes(width, channels));
        if (self->input == NULL) {
            return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for converted rows");
        }
    }
    return self->next->start(self->next, width, height, converted, message, capacity);
}

static unsigned char *convert_row(ik__rows *rows, uint32_t ahead) {
    convert_rows *self = (convert_rows *)rows;
    if (self->input == NULL) {
        return self->next->row(self->next, ahead);
    }
    return ahead < IK__ROWS_AHEAD ? self->input + ahead * self->stride : NULL;
}

static ik_status convert_commit(ik__rows *rows, uint32_t count, char *message, size_t capacity) {
    convert_rows *self = (convert_rows *)rows;
    ik__rows *next = self->next;
    if (self->input == NULL) {
        return next->commit(next, count, message, capacity);
    }
    ik_status status = IK_OK;
    for (uint32_t i = 0; i < count && status == IK_OK; i++) {
        const unsigned char *in = self->input + i * self->stride;
        if (self->conversion == IK__TO_GRAY) {
            ik__grayscale_row(in, next->row(next, 0), self->width, self->channels);
        } else {
            ik__flatten_row(in, next->row(next, 0), self->width, self->channels);
        }
        status = next->commit(next, 1, message, capacity);
    }
    return status;
}

static void convert_release(ik__rows *rows) {
    free(((convert_rows *)rows)->input);
    free(rows);
}

ik_status ik__convert_rows_new(ik__conversion conversion, ik__rows *next, ik__rows **rows, char *message,
                               size_t capacity) {
    convert_rows *self =
        ik__rows_alloc(sizeof(*self), (ik__rows){convert_start, convert_row, convert_commit, convert_release}, rows);
    if (self == NULL) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for a conversion step");
    }
    self->next = next;
    self->conversion = conversion;
    return IK_OK;
}
