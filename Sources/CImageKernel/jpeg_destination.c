/* jpeg_destination.c — the libjpeg destination that appends to an ik__buffer, and the size it starts with. */
#include "jpeg_destination.h"

#include <jerror.h>
#include <string.h>

uint64_t ik__jpeg_worst_size(uint32_t width, uint32_t height, uint32_t channels) {
    uint64_t mcu = channels == 1 ? 8 : 16;
    uint64_t padded_width = ((uint64_t)width + mcu - 1) / mcu * mcu;
    uint64_t padded_height = ((uint64_t)height + mcu - 1) / mcu * mcu;
    uint64_t size = ik__sat_add(ik__sat_mul(ik__sat_mul(padded_width, padded_height), channels == 1 ? 2 : 3), 2048);
    return ik__max_u64(size, IK__JPEG_OUTPUT_CHUNK);
}

/// Bytes handed to libjpeg per empty_output_buffer call.
#define CHUNK_SIZE IK__JPEG_OUTPUT_CHUNK

/// Gives libjpeg the free tail of the buffer, at least CHUNK_SIZE bytes of it.
static void offer_space(j_compress_ptr cinfo) {
    ik__jpeg_destination *destination = (ik__jpeg_destination *)cinfo->dest;
    ik__buffer *output = destination->output;
    if (!ik__buffer_reserve(output, CHUNK_SIZE)) {
        ERREXIT1(cinfo, JERR_OUT_OF_MEMORY, 0);
    }
    destination->manager.next_output_byte = output->data + output->size;
    destination->manager.free_in_buffer = output->capacity - output->size;
}

static void on_init_destination(j_compress_ptr cinfo) { offer_space(cinfo); }

/// libjpeg filled everything it was offered: count it as written and offer more.
static boolean on_empty_output_buffer(j_compress_ptr cinfo) {
    ik__jpeg_destination *destination = (ik__jpeg_destination *)cinfo->dest;
    destination->output->size = destination->output->capacity;
    offer_space(cinfo);
    return TRUE;
}

static void on_term_destination(j_compress_ptr cinfo) {
    ik__jpeg_destination *destination = (ik__jpeg_destination *)cinfo->dest;
    destination->output->size = destination->output->capacity - destination->manager.free_in_buffer;
}

void ik__jpeg_destination_init(j_compress_ptr cinfo, ik__jpeg_destination *destination, ik__buffer *output) {
    memset(destination, 0, sizeof(*destination));
    destination->output = output;
    destination->manager.init_destination = on_init_destination;
    destination->manager.empty_output_buffer = on_empty_output_buffer;
    destination->manager.term_destination = on_term_destination;
    cinfo->dest = &destination->manager;
}
