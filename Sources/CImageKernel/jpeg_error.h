/*
 * jpeg_error.h — what the JPEG codec files share: libjpeg error handling, the work limit, the output destination,
 * the luma-only source.
 *
 * libjpeg reports a fatal error by calling error_exit, which must not return; the default one calls exit().
 * Ours records the message and longjmps back to the setjmp in the codec's inner function (see libjpeg-turbo's
 * example.c for the pattern). Warnings are recorded, never printed and never fatal.
 */
#ifndef IMAGE_KERNEL_JPEG_ERROR_H
#define IMAGE_KERNEL_JPEG_ERROR_H

#include <setjmp.h>
#include <stdio.h>

#include <jpeglib.h>

#include "kernel_internal.h"

typedef struct ik__jpeg_error {
    /// First, so that the `err` pointer libjpeg hands back can be cast to this struct.
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    /// libjpeg hit the end of the data and inserted a fake end-of-image marker (warning JWRN_JPEG_EOF).
    int saw_end_of_data;
    /// Set by a caller-side check that jumps out of libjpeg (too many scans, too much work), with its message
    /// in `text`.
    ik_status forced_status;
    char text[JMSG_LENGTH_MAX];
} ik__jpeg_error;

/// Points `error->manager` at our handlers and returns it, for `cinfo.err = ik__jpeg_error_init(&error)`.
struct jpeg_error_mgr *ik__jpeg_error_init(ik__jpeg_error *error);

/// The status and message for a jump back from libjpeg.
ik_status ik__jpeg_error_status(const ik__jpeg_error *error, char *message, size_t capacity);

/// A progress monitor that keeps the decoding work within budget (IK_JPEG_MAX_PASSES).
typedef struct ik__jpeg_progress {
    /// First, so that the `progress` pointer libjpeg hands back can be cast to this struct.
    struct jpeg_progress_mgr manager;
    /// The last scan whose work was counted (libjpeg's input_scan_number).
    int counted_scan;
    uint64_t spent;
    uint64_t limit;
} ik__jpeg_progress;

/// Installs a progress monitor on a decompressor whose `err` is an ik__jpeg_error. libjpeg calls it before
/// every step of input, so it sees each scan's header before that scan's data is decoded; it stops a JPEG with
/// more than IK_JPEG_MAX_SCANS scans (IK_ERR_CORRUPT) and one whose scans add up to more work than
/// IK_JPEG_MAX_PASSES allows (IK_ERR_TOO_COMPLEX). `progress` must live as long as the decompressor.
void ik__jpeg_limit_work(j_decompress_ptr cinfo, ik__jpeg_progress *progress);

/// A libjpeg destination that appends to an ik__buffer. Ours rather than jpeg_mem_dest: when jpeg_mem_dest grows
/// its buffer it frees the old one but publishes the new one only in term_destination, so after an error
/// mid-image the caller's pointer is stale and the new buffer leaks. Here the caller always owns the buffer.
typedef struct ik__jpeg_destination {
    /// First, so that the `dest` pointer libjpeg hands back can be cast to this struct.
    struct jpeg_destination_mgr manager;
    ik__buffer *output;
} ik__jpeg_destination;

/// The first reserve of the output buffer, and the least free space libjpeg is offered each time it fills it.
#define IK__JPEG_OUTPUT_CHUNK 65536u

/// The largest JPEG the encoders expect of a width x height image of 1 or 3 channels (the pixel encoder's 4:2:0,
/// gray one component), and what they reserve for their output at once: the worst case libjpeg-turbo's
/// tjBufSize() allows for, 2 bytes a sample of every component (coefficients are 16 bits: noise at quality 100
/// can grow beyond the raw pixels), padded to the MCU, plus 2048 for the headers; 2 bytes a pixel for gray, 3 for
/// 4:2:0. At least IK__JPEG_OUTPUT_CHUNK, so that the first offer of space fits too. A larger JPEG is still
/// written (the buffer doubles), beyond what ik_estimate_peak foresaw.
uint64_t ik__jpeg_worst_size(uint32_t width, uint32_t height, uint32_t channels);

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

/// Points `cinfo->dest` at `destination`, which appends everything the compressor writes to `output`.
void ik__jpeg_destination_init(j_compress_ptr cinfo, ik__jpeg_destination *destination, ik__buffer *output);

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

#endif /* IMAGE_KERNEL_JPEG_ERROR_H */
