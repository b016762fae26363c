/* pixels.c — dimension limits and pixel buffer allocation. */
#include "kernel_internal.h"

#include <stdlib.h>
#include <string.h>

ik_status ik__check_dimensions(uint64_t width, uint64_t height, uint64_t max_pixels, char *message, size_t capacity) {
    if (width == 0 || height == 0) {
        return ik__fail(IK_ERR_CORRUPT, message, capacity, "image is %llu x %llu pixels: empty",
                        (unsigned long long)width, (unsigned long long)height);
    }
    // Both sides fit in 32 bits, so the product fits in 64.
    if (width > UINT32_MAX || height > UINT32_MAX || width * height > max_pixels) {
        return ik__fail(IK_ERR_TOO_MANY_PIXELS, message, capacity,
                        "image is %llu x %llu pixels, more than the limit of %llu", (unsigned long long)width,
                        (unsigned long long)height, (unsigned long long)max_pixels);
    }
    return IK_OK;
}

ik_status ik__image_alloc(ik_image *image, uint32_t width, uint32_t height, uint32_t channels, char *message,
                          size_t capacity) {
    memset(image, 0, sizeof(*image));
    size_t stride = 0;
    size_t bytes = 0;
    if (!ik__mul_size(width, channels, &stride) || !ik__mul_size(stride, height, &bytes) || bytes == 0) {
        return ik__fail(IK_ERR_TOO_MANY_PIXELS, message, capacity, "image of %u x %u pixels does not fit in memory",
                        width, height);
    }
    image->data = bytes > SIZE_MAX - IK__ROW_SLACK ? NULL : malloc(bytes + IK__ROW_SLACK);
    if (image->data == NULL) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for %u x %u pixels", width, height);
    }
    image->width = width;
    image->height = height;
    image->channels = channels;
    image->stride = stride;
    return IK_OK;
}

uint64_t ik__image_bytes(uint64_t width, uint64_t height, uint64_t channels) {
    return ik__sat_add(ik__sat_mul(ik__sat_mul(width, height), channels), IK__ROW_SLACK + IK__ALLOCATION_SLACK);
}

void ik_image_free(ik_image *image) {
    if (image == NULL) {
        return;
    }
    free(image->data);
    memset(image, 0, sizeof(*image));
}
