/* output_buffer.c — the growable byte buffer the encoders write into. */
#include "kernel_internal.h"

#include <stdlib.h>
#include <string.h>

int ik__buffer_reserve(ik__buffer *buffer, size_t additional) {
    size_t needed = 0;
    if (__builtin_add_overflow(buffer->size, additional, &needed)) {
        return 0;
    }
    if (needed <= buffer->capacity) {
        return 1;
    }
    size_t capacity = buffer->capacity < 4096 ? 4096 : buffer->capacity;
    while (capacity < needed) {
        if (!ik__mul_size(capacity, 2, &capacity)) {
            return 0;
        }
    }
    unsigned char *data = realloc(buffer->data, capacity);
    if (data == NULL) {
        return 0;
    }
    buffer->data = data;
    buffer->capacity = capacity;
    return 1;
}

int ik__buffer_append(ik__buffer *buffer, const unsigned char *bytes, size_t length) {
    if (!ik__buffer_reserve(buffer, length)) {
        return 0;
    }
    memcpy(buffer->data + buffer->size, bytes, length);
    buffer->size += length;
    return 1;
}

int ik__buffer_reserve_exact(ik__buffer *buffer, uint64_t capacity) {
    if (capacity <= buffer->capacity) {
        return 1;
    }
    if (capacity > SIZE_MAX) {
        return 0;
    }
    unsigned char *data = realloc(buffer->data, (size_t)capacity);
    if (data == NULL) {
        return 0;
    }
    buffer->data = data;
    buffer->capacity = (size_t)capacity;
    return 1;
}

uint64_t ik__buffer_peak_bytes(uint64_t reserved, uint64_t most_bytes) {
    // The same growth as ik__buffer_reserve beyond the reserve: doubling whenever more is needed than it holds.
    uint64_t capacity = reserved;
    int grew = 0;
    while (capacity < most_bytes && capacity < UINT64_MAX / 2) {
        capacity = capacity < 4096 ? 4096 : capacity * 2;
        grew = 1;
    }
    return ik__sat_add(ik__sat_add(capacity, grew ? capacity / 2 : 0), IK__ALLOCATION_SLACK);
}

void ik__buffer_free(ik__buffer *buffer) {
    free(buffer->data);
    memset(buffer, 0, sizeof(*buffer));
}
