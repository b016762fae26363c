/*
 * jpeg_luma_source.h — the libjpeg source the JPEG decoders read from: a JPEG in memory, whose scans without luma
 * can be left out (jpeg_luma_source.c), and the header read through it.
 */
#ifndef IMAGE_KERNEL_JPEG_LUMA_SOURCE_H
#define IMAGE_KERNEL_JPEG_LUMA_SOURCE_H

#include <stdio.h>

#include <jpeglib.h>

#include "kernel_internal.h"

/// The most scans one decode leaves out; a progressive JPEG has two or four without luma, and any further ones
/// are simply decoded.
#define IK__JPEG_MAX_SKIPPED_SCANS 16

/// A libjpeg source over a JPEG in memory that can leave out the scans without luma (jpeg_luma_source.c).
typedef struct ik__jpeg_luma_source {
    /// First, so that the `src` pointer libjpeg hands back can be cast to this struct.
    struct jpeg_source_mgr manager;
    const unsigned char *data;
    size_t size;
    /// The offset of the next byte to hand to libjpeg.
    size_t position;
    /// The byte ranges left out, in order: each from a scan's SOS marker to the marker after its data.
    struct {
        size_t begin;
        size_t end;
    } skips[IK__JPEG_MAX_SKIPPED_SCANS];
    size_t skip_count;
    size_t next_skip;
    /// Whether the colour components' coefficient arrays are replaced by one block row each (see
    /// ik__jpeg_read_header), and libjpeg's own methods that the replacement wraps.
    int colour_replaced;
    int arrays_requested;
    JBLOCKARRAY colour_rows[MAX_COMPONENTS];
    jvirt_barray_ptr (*request_array)(j_common_ptr cinfo, int pool, boolean pre_zero, JDIMENSION blocks_per_row,
                                      JDIMENSION rows, JDIMENSION most_rows);
    JBLOCKARRAY (*access_array)(j_common_ptr cinfo, jvirt_barray_ptr array, JDIMENSION start, JDIMENSION rows,
                                boolean writable);
} ik__jpeg_luma_source;

/// Gives the decompressor `data` as its source and reads the header. With `luma_only` (the result will be the
/// grayscale), a YCbCr JPEG's scans that carry no luma are left out: the luma comes out exactly as from the whole
/// file, without entropy-decoding the colour. Its colour components' whole-image coefficient arrays (a progressive
/// decode's, jpeg_read_coefficients'), which nothing reads then, shrink to one block row each that every access
/// returns: the interleaved scans that remain write their colour blocks there and overwrite them. `source` must
/// live as long as the decompressor, whose client_data it takes.
void ik__jpeg_read_header(j_decompress_ptr cinfo, ik__jpeg_luma_source *source, const unsigned char *data, size_t size,
                          int luma_only);

#endif /* IMAGE_KERNEL_JPEG_LUMA_SOURCE_H */
