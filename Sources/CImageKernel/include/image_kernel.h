/*
 * image_kernel.h — the imageproc image kernel: decode, resize, grayscale, encode.
 *
 * ============================================================================
 * OVERVIEW
 * ============================================================================
 *
 * The kernel turns one encoded image (JPEG or PNG) into another, in one call:
 *
 *     decode  ->  the operations, in the order given  ->  encode
 *
 * It reads JPEG through libjpeg(-turbo) and PNG through libpng 1.6:
 *
 *   - JPEG: baseline and progressive; 1-channel grayscale; YCbCr and RGB; CMYK and YCCK (Adobe's inverted
 *     convention, as Photoshop writes them), converted to RGB.
 *   - PNG: every colour type and bit depth (1, 2, 4, 8, 16), palette with or without tRNS, gray or RGB with a
 *     tRNS colour key, Adam7 interlaced. 16-bit samples are scaled to 8 bits (rounded, not truncated).
 *
 * Decoded pixels are always 8-bit, packed and interleaved, in one of four layouts: 1 channel (gray), 2 (gray,
 * alpha), 3 (RGB) or 4 (RGBA). Alpha is straight (not premultiplied) everywhere in the API.
 *
 * Operations:
 *
 *   - IK_OP_GRAYSCALE: ITU-R BT.601 luma, L = 0.299 R + 0.587 G + 0.114 B in fixed point with rounding (the
 *     weights of Pillow's convert("L"); results agree with the exact formula to within 1). Alpha is kept.
 *   - IK_OP_RESIZE: separable Lanczos-3. On a reduction the kernel's support grows with the reduction factor,
 *     so every source pixel contributes (no aliasing). Colour is filtered premultiplied by alpha, so transparent
 *     pixels do not bleed their colour into their neighbours. See ik_fit for how the box is filled.
 *
 * EXIF orientation: a JPEG's APP1 Exif Orientation (or a PNG's eXIf chunk) is honoured. The resize box applies
 * to the upright image; the pixels are resized as stored and turned upright afterwards (cheap at the output
 * size), so ik_output's width and height are the upright ones. ik_decode returns the pixels as stored.
 *
 * Encoding: PNG keeps the channel layout (gray stays gray, alpha stays); zlib level 4 with adaptive row filters.
 * JPEG has no alpha: alpha is flattened on white, gray images become 1-channel grayscale JPEGs; baseline, 4:2:0,
 * standard Huffman tables (Pillow's defaults). The output carries no metadata (no EXIF, no ICC).
 *
 * Speed-ups taken when the input is JPEG:
 *   - DCT-domain scaling: a JPEG that will be reduced is decoded at M/8 of its size (M = 1..8), the smallest
 *     scale that keeps at least the target size; the Lanczos pass does the rest.
 *   - A JPEG that will be made gray is decoded as luma only: libjpeg skips the colour planes' inverse DCT, and
 *     the scans that hold only colour (a progressive JPEG's Cb and Cr AC scans) are left out before libjpeg
 *     reads them, so they are not even entropy-decoded. The luma comes out exactly as from the whole file.
 *   - Grayscale alone, JPEG to JPEG, upright: no pixels at all. The luma plane's DCT coefficients are
 *     requantised to the output quality and written as a grayscale JPEG (no inverse or forward DCT).
 * The resampling loops use SSE2, and AVX2 when the CPU has it (chosen at run time; no build flags).
 *
 * ============================================================================
 * OWNERSHIP AND MEMORY
 * ============================================================================
 *
 * All input buffers belong to the caller and are only read. Results the kernel allocates are returned in
 * caller-provided structs and must be released by the matching free function:
 *
 *     ik_output  (from ik_process)  ->  ik_output_free
 *     ik_image   (from ik_decode)   ->  ik_image_free
 *
 * Both free functions accept a zeroed struct and a struct that was already freed (they reset it), so a caller
 * can free unconditionally. On any error the result struct is left zeroed: there is nothing to free.
 *
 * Every size computation is checked for overflow before it is used for an allocation, and every error path
 * frees what it took. ik_process streams: the decoder hands its rows to the first operation as they come, each
 * operation hands its rows to the next and the last to the encoder, so no whole image is held for its own sake.
 * A resize keeps a ring of the source rows its vertical filter reads (6 times the reduction factor and a few
 * rows; 10 rows when it enlarges), grayscale and the flattening of alpha for JPEG a few rows. What is whole: the
 * encoded output (reserved at its worst case; see MEMORY ESTIMATES); a progressive JPEG's coefficients, which libjpeg
 * keeps for the whole image at full size whatever the decode scale (up to 6 bytes a pixel; 2, the luma's alone, when
 * the result is gray) until the last row is decoded; an interlaced PNG, whose rows are complete only after its last
 * pass; and a result turned by its EXIF orientation, kept and turned at the output size before it is encoded.
 * The grayscale JPEG-to-JPEG path holds the luma's coefficients for any JPEG (2 bytes a pixel) instead.
 *
 * ============================================================================
 * MEMORY ESTIMATES
 * ============================================================================
 *
 * ik_estimate_peak tells, from the header alone, an upper bound of the bytes ik_process will hold allocated at
 * once for the same data and options: everything the kernel allocates itself and everything libjpeg, libpng and
 * zlib allocate on its behalf, with the allocator's slack (IK__ALLOCATION_SLACK, 4 KiB a buffer). It reads the
 * header with libjpeg or libpng (row-sized memory at most, never pixels or coefficients), walks the same steps
 * as ik_process and takes the largest sum of what is alive at once:
 *
 *   - decode: for JPEG libjpeg's fixed state (256 KiB allowed), its row buffers (a few MCU rows of the output
 *     width, at the DCT scale a resize picks) and, for a progressive JPEG, the whole-image coefficient arrays at
 *     full size (128 bytes a block of every component: 2 bytes a pixel for gray, 3 for 4:2:0, 4 for 4:2:2, 6
 *     for 4:4:4; the luma's alone when the list has a grayscale), whatever the decode scale; for PNG libpng's
 *     two rows, and for an interlaced PNG the image and a row pointer a row.
 *   - each operation: a resize its weights for both axes (taps x size each), its ring (taps + 3 rows of the
 *     source width, or of the output width when it enlarges vertically), a row of 32-bit sums and a scratch
 *     row; a grayscale a few rows.
 *   - encode: the encoder's rows and state (zlib's deflate, 256 KiB), a few rows of flattening for JPEG, and the
 *     output buffer, which the encoder reserves at once at the worst encoded size: PNG the raw rows with
 *     deflate's and the chunks' overhead; JPEG tjBufSize()'s worst case, 2 bytes a pixel for gray and 3 for
 *     4:2:0 (quality 100 noise). Only the pages written become resident, so the resident peak is lower than the
 *     estimate by what the result does not fill. A JPEG beyond tjBufSize()'s bound (not seen in practice) still
 *     succeeds: its buffer doubles, past the estimate.
 *   - all of these at once, as the rows stream; with an EXIF rotation the largest of three stages instead: the
 *     stream into the result kept at the output size, the result and its upright copy, the copy and the encoder.
 *   - the grayscale JPEG-to-JPEG path instead: the luma's coefficient arrays (the colour's take a block row),
 *     two libjpeg objects and the output buffer.
 *
 * The arithmetic saturates at UINT64_MAX rather than overflow. It fails as ik_process would for what the header
 * and options tell (IK_ERR_TOO_MANY_PIXELS, IK_ERR_INVALID_ARGUMENT, a corrupt or truncated header); what only
 * decoding finds (a truncated scan, IK_ERR_TOO_COMPLEX) is not seen, and such a job takes less than estimated.
 * The caller's own copy of the result is not included: add output_bytes for it. Tests compare the estimate
 * with the peak measured by counting every allocation of a process running ik_process (Tests/.../
 * ImageKernelMemoryTests.swift, bench/peak.sh).
 *
 * ============================================================================
 * THREADING
 * ============================================================================
 *
 * The kernel has no global state and no thread-locals, and makes no threads. Every function may be called from
 * any number of threads at once, as long as each call has its own output struct and message buffer. The
 * libjpeg and libpng objects live on the calling thread's stack for the duration of one call. Split work
 * across threads by image.
 *
 * The kernel uses setjmp/longjmp internally (libjpeg and libpng report errors that way); every jump stays
 * inside the kernel's own C frames. Callers in any language see only return codes.
 *
 * ============================================================================
 * LIMITS
 * ============================================================================
 *
 *   - max_pixels (caller-chosen, > 0): the largest width * height the kernel will decode or produce. It is
 *     checked against the image header before any pixel memory is allocated, and against the computed output
 *     size before resizing. A PNG header claiming 100000 x 100000 fails with IK_ERR_TOO_MANY_PIXELS at once.
 *   - IK_MAX_DIMENSION: the largest width or height requested for a resize; the service's and the CLI's limit
 *     too (their parameter parsing reads it from here).
 *   - IK_JPEG_MAX_DIMENSION: JPEG cannot store a side longer than 65500 pixels; encoding such an image to JPEG
 *     fails with IK_ERR_INVALID_ARGUMENT.
 *   - IK_JPEG_MAX_SCANS: a progressive JPEG with more scans than this is rejected as corrupt (a crafted file
 *     with thousands of tiny scans would otherwise take minutes to decode).
 *   - IK_JPEG_MAX_PASSES: the work a JPEG may ask of the entropy decoder, relative to its own size, so that the
 *     time to decode is proportional to the pixels and not to how the file is cut into scans. Every scan costs,
 *     for each block (8 x 8 samples) of the components it holds, the coefficients of its spectral band (all 64
 *     in a sequential scan) plus 16 for the block itself (what a one-coefficient DC scan costs libjpeg-turbo
 *     per block, measured). The sum over the scans may be at most IK_JPEG_MAX_PASSES times one sequential pass
 *     over every block (64 + 16 each); beyond it the call fails with IK_ERR_TOO_COMPLEX. In these units a
 *     baseline JPEG costs 1 pass, libjpeg's progressive script (cjpeg -progressive, ImageMagick, jpegtran)
 *     2.8 for 4:4:4, 3.2 for 4:2:0 and 3.6 for RGB or gray (the 16 MATE photos of bench/: 1 to 3.2), and
 *     mozjpeg's candidate scans (luma in two bands, up to 3 bit planes of refinement) add up to about 5; 16
 *     leaves room for any encoder in use and bounds the entropy decoding at about 5 times that of the usual
 *     progressive file. A file that repeats refinement scans is refused: each repeat re-walks every coefficient
 *     of its band, so a 92 KB JPEG of 4000 x 3000 pixels with 490 copies of a 26-byte refinement scan (325
 *     passes) took 7 s instead of 50 ms; it now fails at scan 28, in the probe, before any decoding.
 *     ik_probe applies the rule to the scan headers in the data it is given, so an upload is refused before
 *     any decoding; ik_process and ik_decode apply it again as libjpeg reaches each scan header, before that
 *     scan's data is decoded, so the work done before a refusal stays within the budget. PNG needs no such
 *     rule: its decoding work is linear in the pixels (Adam7 reads each pixel once, however the IDAT data is
 *     chunked), and the ancillary chunks that could be inflated (zTXt, iTXt, iCCP) are skipped unread.
 *   - IK_MAX_OPERATIONS: the longest operation list.
 *
 * ============================================================================
 * ERRORS
 * ============================================================================
 *
 * Every call returns an ik_status. Every call also takes an optional message buffer (message may be NULL, or
 * message_capacity 0): on error the kernel writes a short lowercase message naming what is wrong, truncated
 * to fit and always NUL-terminated, e.g. "JPEG data ends before the image is complete" or "image is 100000 x
 * 100000 pixels, more than the limit of 100000000". On success it writes an empty string.
 *
 * Truncated input is an error for both formats (IK_ERR_TRUNCATED), never a partly grey image: the service
 * never returns a silently damaged picture. A JPEG that lacks only its final EOI marker counts as truncated too
 * (libjpeg cannot tell that apart from a progressive JPEG cut between scans). A PNG whose pixel data is complete
 * is accepted without its IEND chunk. Warnings that do not lose image data (extraneous bytes between
 * JPEG markers, a bad CRC in an ancillary PNG chunk) are ignored.
 *
 * ============================================================================
 * API
 * ============================================================================
 */
#ifndef IMAGE_KERNEL_H
#define IMAGE_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// The largest width or height a resize may ask for: 16384, as browsers' canvases and most image servers allow.
#define IK_MAX_DIMENSION 16384u
/// The longest side a JPEG can store.
#define IK_JPEG_MAX_DIMENSION 65500u
/// The most scans accepted in one progressive JPEG (libjpeg-turbo's own tools use 500 for the same reason).
#define IK_JPEG_MAX_SCANS 500
/// The most entropy-decoding work a JPEG may ask for, in sequential passes over all of its blocks (see LIMITS).
#define IK_JPEG_MAX_PASSES 16
/// The longest operation list ik_process accepts.
#define IK_MAX_OPERATIONS 8
/// A message buffer of this size holds every message the kernel writes untruncated.
#define IK_MESSAGE_CAPACITY 256

/// What a call reports. IK_OK is 0; every error is positive.
typedef enum ik_status {
    IK_OK = 0,
    /// A NULL pointer, an empty input, an option out of range, or an output JPEG cannot hold.
    IK_ERR_INVALID_ARGUMENT = 1,
    /// The bytes are neither JPEG nor PNG.
    IK_ERR_UNSUPPORTED_FORMAT = 2,
    /// The bytes start like JPEG or PNG but are malformed.
    IK_ERR_CORRUPT = 3,
    /// The bytes stop before the image is complete.
    IK_ERR_TRUNCATED = 4,
    /// The image (read or to be produced) has more pixels than max_pixels.
    IK_ERR_TOO_MANY_PIXELS = 5,
    /// An allocation failed.
    IK_ERR_OUT_OF_MEMORY = 6,
    /// The image asks for far more decoding work than its size needs (IK_JPEG_MAX_PASSES: a JPEG whose scans
    /// repeat).
    IK_ERR_TOO_COMPLEX = 7,
} ik_status;

/// An encoded image format, recognised by its first bytes.
typedef enum ik_format {
    IK_FORMAT_UNKNOWN = 0,
    IK_FORMAT_JPEG = 1,
    IK_FORMAT_PNG = 2,
} ik_format;

/// The format ik_process encodes to.
typedef enum ik_output_format {
    /// The input's format.
    IK_OUTPUT_SAME = 0,
    IK_OUTPUT_JPEG = 1,
    IK_OUTPUT_PNG = 2,
} ik_output_format;

/// One step of the pipeline.
typedef enum ik_operation {
    IK_OP_GRAYSCALE = 1,
    IK_OP_RESIZE = 2,
} ik_operation;

/// How IK_OP_RESIZE fills the box width x height when both are given. When only one is given, the other
/// follows from the aspect ratio and the fit does not matter. Upscaling is done when asked for. Results are at
/// least 1 x 1.
typedef enum ik_fit {
    /// The largest size within the box with the image's aspect ratio.
    IK_FIT_INSIDE = 0,
    /// Exactly the box: scaled to cover it with the aspect ratio kept, then the centre cropped out.
    IK_FIT_COVER = 1,
    /// Exactly the box, the aspect ratio ignored.
    IK_FIT_FILL = 2,
} ik_fit;

/// What an image header says.
typedef struct ik_info {
    ik_format format;
    /// The dimensions as stored, before the orientation is applied.
    uint32_t width;
    uint32_t height;
    /// The EXIF Orientation, 1...8 (1 when absent or unreadable); 5...8 swap width and height when upright.
    int orientation;
} ik_info;

/// What ik_process does. Start from ik_options_init, then set what differs.
typedef struct ik_options {
    /// The operations, applied in this order; operation_count of them are used.
    ik_operation operations[IK_MAX_OPERATIONS];
    size_t operation_count;
    /// The resize box; 0 means unset. A resize needs at least one of them.
    uint32_t width;
    uint32_t height;
    ik_fit fit;
    ik_output_format output_format;
    /// JPEG quality, 1...100.
    int jpeg_quality;
    /// The largest width * height decoded or produced, > 0.
    uint64_t max_pixels;
} ik_options;

/// An encoded result of ik_process, allocated by the kernel. Release with ik_output_free.
typedef struct ik_output {
    unsigned char *data;
    size_t size;
    uint32_t width;
    uint32_t height;
    ik_format format;
} ik_output;

/// Decoded pixels, allocated by the kernel: 8-bit, interleaved, `stride` bytes from one row to the next
/// (stride == width * channels: rows are packed). Release with ik_image_free.
typedef struct ik_image {
    unsigned char *data;
    uint32_t width;
    uint32_t height;
    /// 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA.
    uint32_t channels;
    size_t stride;
} ik_image;

/// What ik_estimate_peak says of one ik_process call.
typedef struct ik_estimate {
    /// The most bytes the call holds allocated at once, the result included (see MEMORY ESTIMATES).
    uint64_t peak_bytes;
    /// The largest result it can return (ik_output.size), for a caller that copies the result before freeing it.
    uint64_t output_bytes;
} ik_estimate;

/// Fills `options` with the defaults: no operations, no size, IK_FIT_INSIDE, IK_OUTPUT_SAME, quality 85,
/// max_pixels 100 000 000.
void ik_options_init(ik_options *options);

/// Estimates from the header of `data` the peak memory of ik_process(data, size, options): see MEMORY
/// ESTIMATES. Fails, with the message ik_process would give, for what the header and options already refuse.
/// Allocates no pixel or coefficient memory; as thread-safe as ik_process.
ik_status ik_estimate_peak(const unsigned char *data, size_t size, const ik_options *options, ik_estimate *estimate,
                           char *message, size_t message_capacity);

/// Reads the format, dimensions and EXIF orientation from `data` without decoding anything. Fails with
/// IK_ERR_UNSUPPORTED_FORMAT for bytes that are neither JPEG nor PNG, IK_ERR_TRUNCATED when the data ends before
/// the dimensions, IK_ERR_CORRUPT when the header is malformed. Does not apply any pixel limit. For a JPEG it
/// also walks the scan headers after the frame header (a linear pass over the bytes, skipping the entropy-coded
/// data) and fails with IK_ERR_TOO_COMPLEX when they ask for more than IK_JPEG_MAX_PASSES; data that ends early
/// is judged on the scans it holds.
ik_status ik_probe(const unsigned char *data, size_t size, ik_info *info, char *message, size_t message_capacity);

/// Decodes `data`, applies `options->operations` in order and encodes the result into `output`, which the
/// caller releases with ik_output_free. On error `output` is left zeroed.
ik_status ik_process(const unsigned char *data, size_t size, const ik_options *options, ik_output *output,
                     char *message, size_t message_capacity);

/// Decodes `data` at full size into `image`, which the caller releases with ik_image_free. On error `image` is
/// left zeroed.
ik_status ik_decode(const unsigned char *data, size_t size, uint64_t max_pixels, ik_image *image, char *message,
                    size_t message_capacity);

/// Releases what ik_process allocated and zeroes `output`. Accepts NULL and a zeroed struct.
void ik_output_free(ik_output *output);

/// Releases what ik_decode allocated and zeroes `image`. Accepts NULL and a zeroed struct.
void ik_image_free(ik_image *image);

/// A stable lowercase name for `status`, e.g. "truncated"; "unknown" for a value not in the enum.
const char *ik_status_name(ik_status status);

#ifdef __cplusplus
}
#endif

#endif /* IMAGE_KERNEL_H */
