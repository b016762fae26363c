/* jpeg_memory.c — what libjpeg allocates by itself (see jpeg_memory.h). */
#include "jpeg_memory.h"

uint64_t ik__jpeg_coefficient_bytes(j_decompress_ptr cinfo, int colour_replaced) {
    uint64_t bytes = 0;
    for (int ci = 0; ci < cinfo->num_components; ci++) {
        const jpeg_component_info *component = &cinfo->comp_info[ci];
        uint64_t h = (uint64_t)component->h_samp_factor;
        uint64_t v = (uint64_t)component->v_samp_factor;
        uint64_t columns = (component->width_in_blocks + h - 1) / h * h;
        uint64_t rows = (component->height_in_blocks + v - 1) / v * v;
        uint64_t pointers = rows;
        if (colour_replaced && ci > 0) {
            // One block row, behind as many row pointers as libjpeg may ask for at once (5 v when progressive).
            rows = 1;
            pointers = 5 * v;
        }
        uint64_t array = ik__sat_mul(ik__sat_mul(columns, rows), sizeof(JBLOCK));
        uint64_t chunks = array / 1000000000u + 1;
        bytes = ik__sat_add(bytes, ik__sat_add(array, ik__sat_mul(pointers, sizeof(JBLOCKROW))));
        bytes = ik__sat_add(bytes, ik__sat_mul(chunks + 1, IK__ALLOCATION_SLACK));
    }
    return bytes;
}
