/*
 * jpeg_luma_source.c — a libjpeg source that leaves out the scans a grayscale result never reads.
 *
 * The grayscale of a YCbCr JPEG is its luma plane. Decoding with JCS_GRAYSCALE already skips the colour planes'
 * inverse DCT, but libjpeg still entropy-decodes every scan, and entropy decoding is most of the cost. A
 * progressive JPEG (what most web encoders and many cameras write) keeps each colour plane's AC coefficients in
 * scans of their own: in the MATE photos a quarter of the bytes, and the slowest kind of scan to decode. Those
 * scans are dropped here before libjpeg sees them; it then never allocates work for them, and the luma
 * coefficients, hence the pixels, are exactly what the whole file gives. Scans that carry luma (the interleaved
 * DC scans too) and every other marker (tables, restart intervals) pass through unchanged.
 *
 * The marker walk is deliberately forgiving: anything it does not understand stops it, and what it has not
 * dropped reaches libjpeg as it was, so libjpeg remains the one to judge a damaged file.
 */
#include "jpeg_luma_source.h"

#include <jerror.h>
#include <string.h>

#define MARKER_SOI 0xD8
#define MARKER_EOI 0xD9
#define MARKER_SOS 0xDA
#define MARKER_TEM 0x01

/// Shared with the probe (kernel_internal.h): it lives here, beside the scan filter that needed it first.
size_t ik__jpeg_entropy_end(const unsigned char *data, size_t size, size_t start) {
    size_t position = start;
    while (position < size) {
        const unsigned char *found = memchr(data + position, 0xFF, size - position);
        if (found == NULL || (size_t)(found - data) + 1 >= size) {
            return size;
        }
        position = (size_t)(found - data);
        unsigned char next = data[position + 1];
        if (next == 0x00 || ik__jpeg_is_restart_marker(next)) {
            position += 2;
        } else if (next == 0xFF) {
            position += 1;
        } else {
            return position;
        }
    }
    return size;
}

/// Finds the scans of a three-component JPEG that do not include its first component and records them in
/// `source` (at most IK__JPEG_MAX_SKIPPED_SCANS). Returns how many.
static size_t find_colour_scans(ik__jpeg_luma_source *source) {
    const unsigned char *data = source->data;
    size_t size = source->size;
    if (size < 4 || data[0] != 0xFF || data[1] != MARKER_SOI) {
        return 0;
    }
    int luma = -1;
    size_t position = 2;
    while (position + 4 <= size && source->skip_count < IK__JPEG_MAX_SKIPPED_SCANS) {
        if (data[position] != 0xFF) {
            break;
        }
        unsigned char marker = data[position + 1];
        if (marker == 0xFF) {
            position += 1;
            continue;
        }
        if (marker == MARKER_EOI) {
            break;
        }
        if (ik__jpeg_is_restart_marker(marker) || marker == MARKER_TEM) {
            position += 2;
            continue;
        }
        size_t length = (size_t)data[position + 2] << 8 | data[position + 3];
        size_t segment_end = position + 2 + length;
        if (length < 2 || segment_end > size) {
            break;
        }
        const unsigned char *segment = data + position + 4;
        if (ik__jpeg_is_frame_marker(marker)) {
            // Precision, height, width, then the component count and each component's id, sampling, table.
            if (length < 8 + 3 * 3 || segment[5] != 3) {
                return 0;
            }
            luma = segment[6];
        } else if (marker == MARKER_SOS) {
            size_t count = length >= 3 ? segment[0] : 0;
            if (luma < 0 || count == 0 || length < 6 + 2 * count) {
                break;
            }
            int carries_luma = 0;
            for (size_t k = 0; k < count; k++) {
                carries_luma |= segment[1 + 2 * k] == luma;
            }
            size_t end = ik__jpeg_entropy_end(data, size, segment_end);
            if (!carries_luma) {
                source->skips[source->skip_count].begin = position;
                source->skips[source->skip_count].end = end;
                source->skip_count++;
            }
            position = end;
            continue;
        }
        position = segment_end;
    }
    return source->skip_count;
}

static void on_init_source(j_decompress_ptr cinfo) { (void)cinfo; }

/// Hands libjpeg the bytes up to the next dropped scan, stepping over it first if it starts here. At the end of
/// the data, a fake end-of-image marker with the warning libjpeg's own memory source gives.
static boolean on_fill_input_buffer(j_decompress_ptr cinfo) {
    static const JOCTET end_of_image[2] = {0xFF, MARKER_EOI};
    ik__jpeg_luma_source *source = (ik__jpeg_luma_source *)cinfo->src;
    // Dropped scans can follow one another: libjpeg must get at least one byte.
    while (source->next_skip < source->skip_count && source->skips[source->next_skip].begin == source->position) {
        source->position = source->skips[source->next_skip].end;
        source->next_skip++;
    }
    if (source->position >= source->size) {
        WARNMS(cinfo, JWRN_JPEG_EOF);
        source->manager.next_input_byte = end_of_image;
        source->manager.bytes_in_buffer = 2;
        return TRUE;
    }
    size_t end = source->next_skip < source->skip_count ? source->skips[source->next_skip].begin : source->size;
    source->manager.next_input_byte = source->data + source->position;
    source->manager.bytes_in_buffer = end - source->position;
    source->position = end;
    return TRUE;
}

static void on_skip_input_data(j_decompress_ptr cinfo, long count) {
    struct jpeg_source_mgr *manager = cinfo->src;
    if (count <= 0) {
        return;
    }
    size_t remaining = (size_t)count;
    while (remaining > manager->bytes_in_buffer) {
        remaining -= manager->bytes_in_buffer;
        on_fill_input_buffer(cinfo);
    }
    manager->next_input_byte += remaining;
    manager->bytes_in_buffer -= remaining;
}

static void on_term_source(j_decompress_ptr cinfo) { (void)cinfo; }

/// Points `cinfo->src` at `source`, which reads `data` without the scans listed in it.
static void use_luma_source(j_decompress_ptr cinfo, ik__jpeg_luma_source *source) {
    source->manager.init_source = on_init_source;
    source->manager.fill_input_buffer = on_fill_input_buffer;
    source->manager.skip_input_data = on_skip_input_data;
    source->manager.resync_to_restart = jpeg_resync_to_restart;
    source->manager.term_source = on_term_source;
    source->manager.next_input_byte = NULL;
    source->manager.bytes_in_buffer = 0;
    cinfo->src = &source->manager;
}

/// libjpeg's request_virt_barray, but for the colour components of a luma-only read: jdcoefct.c asks for one
/// array per component, in component order, and the colour ones become a single block row.
static jvirt_barray_ptr request_array(j_common_ptr cinfo, int pool, boolean pre_zero, JDIMENSION blocks_per_row,
                                      JDIMENSION rows, JDIMENSION most_rows) {
    ik__jpeg_luma_source *source = (ik__jpeg_luma_source *)cinfo->client_data;
    int component = source->arrays_requested++;
    if (component == 0 || component >= ((j_decompress_ptr)cinfo)->num_components) {
        return source->request_array(cinfo, pool, pre_zero, blocks_per_row, rows, most_rows);
    }
    size_t row_bytes = (size_t)blocks_per_row * sizeof(JBLOCK);
    JBLOCKROW row = (JBLOCKROW)(*cinfo->mem->alloc_large)(cinfo, pool, row_bytes);
    // Zeroed, as libjpeg's pre-zeroed arrays are: a refinement scan reads the bits it adds to.
    memset(row, 0, row_bytes);
    JBLOCKARRAY pointers = (JBLOCKARRAY)(*cinfo->mem->alloc_small)(cinfo, pool, most_rows * sizeof(JBLOCKROW));
    for (JDIMENSION i = 0; i < most_rows; i++) {
        pointers[i] = row;
    }
    source->colour_rows[component] = pointers;
    // The handle is only ever given back to access_array below, which knows it.
    return (jvirt_barray_ptr)pointers;
}

static JBLOCKARRAY access_array(j_common_ptr cinfo, jvirt_barray_ptr array, JDIMENSION start, JDIMENSION rows,
                                boolean writable) {
    ik__jpeg_luma_source *source = (ik__jpeg_luma_source *)cinfo->client_data;
    for (int component = 1; component < MAX_COMPONENTS; component++) {
        if ((jvirt_barray_ptr)source->colour_rows[component] == array && array != NULL) {
            return source->colour_rows[component];
        }
    }
    return source->access_array(cinfo, array, start, rows, writable);
}

/// Wraps the decompressor's array methods so that the colour components' arrays are replaced.
static void replace_colour_arrays(j_decompress_ptr cinfo, ik__jpeg_luma_source *source) {
    source->colour_replaced = 1;
    source->request_array = cinfo->mem->request_virt_barray;
    source->access_array = cinfo->mem->access_virt_barray;
    cinfo->mem->request_virt_barray = request_array;
    cinfo->mem->access_virt_barray = access_array;
    cinfo->client_data = source;
}

void ik__jpeg_read_header(j_decompress_ptr cinfo, ik__jpeg_luma_source *source, const unsigned char *data, size_t size,
                          int luma_only) {
    memset(source, 0, sizeof(*source));
    source->data = data;
    source->size = size;
    if (!luma_only) {
        jpeg_mem_src(cinfo, data, (unsigned long)size);
        jpeg_read_header(cinfo, TRUE);
        return;
    }
    find_colour_scans(source);
    use_luma_source(cinfo, source);
    jpeg_read_header(cinfo, TRUE);
    if (cinfo->jpeg_color_space == JCS_YCbCr) {
        replace_colour_arrays(cinfo, source);
    } else if (source->skip_count > 0) {
        // Only YCbCr keeps the grayscale in its first component (RGB or YCCK do not): start over with all of it.
        jpeg_abort_decompress(cinfo);
        cinfo->src = NULL;
        jpeg_mem_src(cinfo, data, (unsigned long)size);
        jpeg_read_header(cinfo, TRUE);
    }
}
