/*
 * jpeg_memory.h — what libjpeg allocates by itself, for the memory estimates of the JPEG codecs.
 */
#ifndef IMAGE_KERNEL_JPEG_MEMORY_H
#define IMAGE_KERNEL_JPEG_MEMORY_H

#include <stdio.h>

#include <jpeglib.h>

#include "kernel_internal.h"

/// What one libjpeg object (a decompressor or a compressor) takes whatever the image's size, with room to spare:
/// its memory manager's small pools (16 KB first, 5 KB more at a time), the Huffman tables derived for decoding
/// or encoding (about 1.6 KB each, at most 8), quantisation and IDCT multiplier tables, the colour conversion and
/// range-limit tables (a few KB each), the MCU buffer (10 blocks of 128 bytes).
#define IK__JPEG_STATE_BYTES (256u * 1024u)

/// The whole-image coefficient arrays libjpeg allocates for a progressive decode and for jpeg_read_coefficients,
/// once its header is read: for every component, its blocks padded to whole MCUs (jdcoefct.c rounds
/// width_in_blocks and height_in_blocks up to the sampling factors), 128 bytes each (64 JCOEF), with a row
/// pointer per block row; as many chunks as libjpeg's memory manager cuts them into (at most 1e9 bytes each).
/// With `colour_replaced` (ik__jpeg_luma_source.colour_replaced), the colour components' take one block row each.
uint64_t ik__jpeg_coefficient_bytes(j_decompress_ptr cinfo, int colour_replaced);

#endif /* IMAGE_KERNEL_JPEG_MEMORY_H */
