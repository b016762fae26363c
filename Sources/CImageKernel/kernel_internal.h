/*
 * kernel_internal.h — what the kernel's files share and nobody else sees.
 *
 * Names here are prefixed ik__ (two underscores). Pixel buffers are always 8-bit, interleaved and packed.
 */
#ifndef IMAGE_KERNEL_INTERNAL_H
#define IMAGE_KERNEL_INTERNAL_H

#include "image_kernel.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* ---- messages (status.c) ---- */

/// Writes a formatted message into the optional caller buffer and returns `status`, so an error path is
/// `return ik__fail(IK_ERR_CORRUPT, message, capacity, "...", ...);`.
ik_status ik__fail(ik_status status, char *message, size_t capacity, const char *format, ...)
    __attribute__((format(printf, 4, 5)));

/// Writes an empty message (the success case).
void ik__clear_message(char *message, size_t capacity);

/// Copies a codec's own message (libjpeg's "Bogus marker length") after `prefix`, with its first letter
/// lowercased and any trailing period dropped.
ik_status ik__fail_with_codec_message(ik_status status, char *message, size_t capacity, const char *prefix,
                                      const char *codec_message);

/* ---- checked arithmetic and pixel buffers (pixels.c) ---- */

/// a * b into *result; returns 0 on overflow.
static inline int ik__mul_size(size_t a, size_t b, size_t *result) { return !__builtin_mul_overflow(a, b, result); }

/// a + b and a * b, saturating at UINT64_MAX: the arithmetic of the memory estimates (a saturated estimate is
/// still an upper bound, and one no budget admits).
static inline uint64_t ik__sat_add(uint64_t a, uint64_t b) {
    uint64_t result = 0;
    return __builtin_add_overflow(a, b, &result) ? UINT64_MAX : result;
}
static inline uint64_t ik__sat_mul(uint64_t a, uint64_t b) {
    uint64_t result = 0;
    return __builtin_mul_overflow(a, b, &result) ? UINT64_MAX : result;
}
static inline uint64_t ik__max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

/// What the allocator may add to each buffer the estimates count: glibc's chunk header and alignment, and the
/// page rounding of the buffers it maps (everything from 128 KiB up).
#define IK__ALLOCATION_SLACK 4096u

/// x / 255 rounded to nearest, exact for 0 <= x <= 255 * 255 + 127.
static inline uint32_t ik__div255(uint32_t x) { return (x + 128 + ((x + 128) >> 8)) >> 8; }

/// Rejects an empty image and one with more than `max_pixels` pixels, naming the dimensions.
ik_status ik__check_dimensions(uint64_t width, uint64_t height, uint64_t max_pixels, char *message, size_t capacity);

/// Readable bytes every pixel buffer has past its last row, so a filter may load 4 bytes of a 3-byte pixel.
#define IK__ROW_SLACK 8

/// Allocates width * height * channels bytes (plus IK__ROW_SLACK), overflow-checked, into `image`
/// (uninitialised pixels).
ik_status ik__image_alloc(ik_image *image, uint32_t width, uint32_t height, uint32_t channels, char *message,
                          size_t capacity);

/// The bytes ik__image_alloc takes for width x height x channels, with the allocator's slack (saturating).
uint64_t ik__image_bytes(uint64_t width, uint64_t height, uint64_t channels);

/* ---- rows: the steps of a streamed job (rows.c) ---- */

/// One step of a job that takes an image row by row, top to bottom, and hands what it makes to the step after it:
/// decoder -> operations -> encoder, so that no step holds more than the rows it needs at once. A step is made
/// by its constructor (the `ik__*_new` functions), learns the image's size in `start`, and is freed by
/// ik__rows_release whether or not it ran.
typedef struct ik__rows ik__rows;
struct ik__rows {
    /// Called once, before any row, with the size of the rows to come: allocates what the step needs and starts
    /// the step after it.
    ik_status (*start)(ik__rows *rows, uint32_t width, uint32_t height, uint32_t channels, char *message,
                       size_t capacity);
    /// Where the row `ahead` rows after the next one goes (width * channels bytes, the IK__ROW_SLACK bytes after
    /// them writable too), or NULL when the step cannot take that many rows at once. Never NULL for 0 while rows
    /// remain. Rows are written in order.
    unsigned char *(*row)(ik__rows *rows, uint32_t ahead);
    /// The next `count` rows are written.
    ik_status (*commit)(ik__rows *rows, uint32_t count, char *message, size_t capacity);
    /// Frees everything the step holds and the step itself.
    void (*release)(ik__rows *rows);
};

/// What a step's own struct takes, with the allocator's slack: at most this (each step's file asserts it).
#define IK__STEP_STRUCT_MAX 4096u
#define IK__STEP_BYTES (IK__STEP_STRUCT_MAX + IK__ALLOCATION_SLACK)

/// The most rows a decoder asks a step for at once (libjpeg returns up to rec_outbuf_height rows a call, a few).
#define IK__ROWS_AHEAD 4u

/// A zeroed step struct of `size` bytes whose first member, the ik__rows, is `methods`, also stored in `*rows`;
/// NULL when it cannot be allocated. For the constructors.
void *ik__rows_alloc(size_t size, ik__rows methods, ik__rows **rows);

/// Releases `rows` (NULL is accepted).
void ik__rows_release(ik__rows *rows);

/// Hands every row of `image` to `rows`, from start to the last commit.
ik_status ik__rows_push_image(const ik_image *image, ik__rows *rows, char *message, size_t capacity);

/// A step that keeps the rows: allocates `image` at start and fills it. `image` is the caller's, to free with
/// ik_image_free.
ik_status ik__image_rows_new(ik_image *image, ik__rows **rows, char *message, size_t capacity);

/// What an ik__image_rows_new step holds for a width x height x channels image: the image.
uint64_t ik__image_rows_peak_bytes(uint32_t width, uint32_t height, uint32_t channels);

/// A per-pixel conversion to fewer channels.
typedef enum ik__conversion {
    /// ik__grayscale_row: 3 channels become 1, 4 become 2; 1 and 2 pass unchanged.
    IK__TO_GRAY,
    /// ik__flatten_row: 2 channels become 1, 4 become 3; 1 and 3 pass unchanged.
    IK__FLATTEN_ON_WHITE,
} ik__conversion;

/// A step that converts every row and hands it on to `next`; it only forwards the rows when the conversion
/// leaves their channels unchanged.
ik_status ik__convert_rows_new(ik__conversion conversion, ik__rows *next, ik__rows **rows, char *message,
                               size_t capacity);

/// What an ik__convert_rows_new step holds for rows `width` pixels wide of `channels`.
uint64_t ik__convert_rows_peak_bytes(ik__conversion conversion, uint32_t width, uint32_t channels);

/// The channels a conversion leaves of `channels`.
uint32_t ik__converted_channels(ik__conversion conversion, uint32_t channels);

/* ---- growable output buffer (output_buffer.c) ---- */

/// A byte buffer the encoders append to. Grows by doubling with overflow checks; free with ik__buffer_free.
typedef struct ik__buffer {
    unsigned char *data;
    size_t size;
    size_t capacity;
} ik__buffer;

/// Makes room for at least `additional` more bytes past `size`; returns 0 when that cannot be allocated.
int ik__buffer_reserve(ik__buffer *buffer, size_t additional);
/// Appends `length` bytes; returns 0 when that cannot be allocated.
int ik__buffer_append(ik__buffer *buffer, const unsigned char *bytes, size_t length);
void ik__buffer_free(ik__buffer *buffer);
/// Gives the buffer exactly `capacity` bytes of room, when it has less; returns 0 when that cannot be allocated.
/// The encoders reserve their worst case once: the output never moves while it is written, and the pages it never
/// writes are never resident.
int ik__buffer_reserve_exact(ik__buffer *buffer, uint64_t capacity);
/// The most bytes a buffer reserved at exactly `reserved` bytes holds while it is filled with at most `most_bytes`:
/// `reserved`, or, should `most_bytes` exceed it, the doubled capacity plus the old block during the last realloc
/// (which may copy).
uint64_t ik__buffer_peak_bytes(uint64_t reserved, uint64_t most_bytes);

/* ---- the JPEG work budget (probe.c walks the scan headers, jpeg_error.c watches libjpeg) ---- */

/// What a block costs libjpeg in each scan beyond its coefficients, in coefficient visits: measured with
/// libjpeg-turbo 2.1 on a 1600 x 1203 photo, a DC scan (one coefficient a block) costs a quarter of a full-band
/// refinement scan (63 a block), about 16 ns against 66 ns a block, i.e. 1 ns a coefficient and 16 a block.
#define IK__JPEG_BLOCK_OVERHEAD 16u

/// The work of one scan over `blocks` blocks (of all the components it holds together): each block costs the
/// coefficients of the scan's band, Ss...Se, plus the overhead. A sequential scan always carries all 64 (libjpeg
/// ignores Ss and Se there).
static inline uint64_t ik__jpeg_scan_work(uint64_t blocks, int progressive, unsigned spectral_start,
                                          unsigned spectral_end) {
    uint64_t band = 64;
    if (progressive) {
        band = spectral_end >= spectral_start ? spectral_end - spectral_start + 1 : 1;
    }
    return blocks * (band + IK__JPEG_BLOCK_OVERHEAD);
}

/// The most work a JPEG of `blocks` blocks (all components together) may ask for: IK_JPEG_MAX_PASSES times
/// what one sequential pass over every coefficient costs.
static inline uint64_t ik__jpeg_work_limit(uint64_t blocks) {
    return blocks * (64 + IK__JPEG_BLOCK_OVERHEAD) * IK_JPEG_MAX_PASSES;
}

/// The blocks of a component sampled h x v in an image whose largest factors are max_h x max_v, as libjpeg
/// counts them (width_in_blocks * height_in_blocks).
static inline uint64_t ik__jpeg_component_blocks(uint64_t width, uint64_t height, unsigned h, unsigned v,
                                                 unsigned max_h, unsigned max_v) {
    uint64_t columns = (width * h + 8 * max_h - 1) / (8 * max_h);
    uint64_t rows = (height * v + 8 * max_v - 1) / (8 * max_v);
    return columns * rows;
}

/// The message of a JPEG refused for its work: how far into the file the budget ran out.
ik_status ik__jpeg_too_complex(char *message, size_t capacity, int scan, uint64_t width, uint64_t height);

/// Whether a JPEG marker starts a frame (SOF0 to SOF15, which list the components); C4, C8 and CC are other
/// segments.
static inline int ik__jpeg_is_frame_marker(unsigned char marker) {
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

/// Whether a JPEG marker is a restart marker (RST0 to RST7), which may stand inside entropy-coded data.
static inline int ik__jpeg_is_restart_marker(unsigned char marker) { return marker >= 0xD0 && marker <= 0xD7; }

/// The offset of the marker that ends the entropy-coded data starting at `start`: the first 0xFF followed by
/// neither a stuffed zero, a restart marker nor a fill byte; `size` if the data ends first. Linear, with memchr.
size_t ik__jpeg_entropy_end(const unsigned char *data, size_t size, size_t start);

/* ---- codecs ---- */

/// What a decoder will produce and the most it holds at once while it hands its rows on (not the steps that take
/// them), worked out from the header alone: the `*_estimate` functions beside each codec.
typedef struct ik__decode_estimate {
    uint32_t width;
    uint32_t height;
    uint32_t channels;
    uint64_t peak_bytes;
} ik__decode_estimate;

/// What an encoder step holds: its own state and rows, and the output buffer at its largest; `output_bytes` is
/// the largest result it can write.
typedef struct ik__encode_estimate {
    uint64_t peak_bytes;
    uint64_t output_bytes;
} ik__encode_estimate;

/// What the pipeline asks of the JPEG decoder beyond the bytes.
typedef struct ik__jpeg_request {
    /// Decode at scale_eighths / 8 of full size (1...8).
    int scale_eighths;
    /// Decode luma only (a 1-channel image).
    int gray;
    uint64_t max_pixels;
} ik__jpeg_request;

/// Decodes a JPEG into 1- or 3-channel rows (CMYK and YCCK are converted to RGB), handed to `rows` as they come.
ik_status ik__jpeg_decode(const unsigned char *data, size_t size, const ik__jpeg_request *request, ik__rows *rows,
                          char *message, size_t capacity);

/// A step that encodes 1- or 3-channel rows as baseline JPEG with 4:2:0 chroma (gray: one component) into
/// `output`, which the caller frees (also on error).
ik_status ik__jpeg_encoder_new(int quality, ik__buffer *output, ik__rows **rows, char *message, size_t capacity);

/// ik__jpeg_decode's peak for `request`, from the header (libjpeg reads it; no pixel or coefficient memory).
ik_status ik__jpeg_decode_estimate(const unsigned char *data, size_t size, const ik__jpeg_request *request,
                                   ik__decode_estimate *estimate, char *message, size_t capacity);

/// An ik__jpeg_encoder_new step's peak, for a width x height image of `channels` (1 or 3). Fails as the encoder
/// would for a side JPEG cannot hold.
ik_status ik__jpeg_encode_estimate(uint32_t width, uint32_t height, uint32_t channels, ik__encode_estimate *estimate,
                                   char *message, size_t capacity);

/// Grayscale of a JPEG as a JPEG of `quality` without decoding to pixels: the luma coefficients, requantised.
/// Leaves `result` zeroed and returns IK_OK when the JPEG is not YCbCr or gray with full-resolution luma (the
/// caller then takes the pixel path).
ik_status ik__jpeg_gray_transcode(const unsigned char *data, size_t size, int quality, uint64_t max_pixels,
                                  ik_output *result, char *message, size_t capacity);

/// ik__jpeg_gray_transcode's peak (its output included in both fields). Sets `*applies` to 0, and nothing else,
/// when the transcode would leave the JPEG to the pixel path.
ik_status ik__jpeg_gray_transcode_estimate(const unsigned char *data, size_t size, uint64_t max_pixels, int *applies,
                                           ik__encode_estimate *estimate, char *message, size_t capacity);

/// Decodes a PNG into 1-, 2-, 3- or 4-channel 8-bit rows, handed to `rows` as they come (an interlaced one only
/// once all of its passes are read, into an image).
ik_status ik__png_decode(const unsigned char *data, size_t size, uint64_t max_pixels, ik__rows *rows, char *message,
                         size_t capacity);

/// A step that encodes 1-, 2-, 3- or 4-channel rows as non-interlaced 8-bit PNG into `output`, which the caller
/// frees (also on error).
ik_status ik__png_encoder_new(ik__buffer *output, ik__rows **rows, char *message, size_t capacity);

/// ik__png_decode's peak, from the header (libpng reads up to the first IDAT; row-sized memory at most).
ik_status ik__png_decode_estimate(const unsigned char *data, size_t size, uint64_t max_pixels,
                                  ik__decode_estimate *estimate, char *message, size_t capacity);

/// An ik__png_encoder_new step's peak, for a width x height image of `channels`.
void ik__png_encode_estimate(uint32_t width, uint32_t height, uint32_t channels, ik__encode_estimate *estimate);

/* ---- geometry (plan.c) ---- */

/// A resize: the source rectangle (in source pixels, fractional) mapped onto width x height output pixels.
typedef struct ik__resize_plan {
    double x0, y0, x1, y1;
    uint32_t width;
    uint32_t height;
} ik__resize_plan;

/// Works out the output size and source rectangle of a resize of a source_width x source_height image
/// to the box requested by `options` (width/height/fit).
ik_status ik__plan_resize(uint32_t source_width, uint32_t source_height, const ik_options *options,
                          ik__resize_plan *plan, char *message, size_t capacity);

/// The smallest M in 1...8 for which the plan's source rectangle, scaled by M/8, is still at least the output
/// size on both axes: the JPEG DCT scale to decode at. No further margin: the scaled inverse DCT is itself a good
/// low-pass filter (it keeps the lowest M x M frequencies of each block), so the Lanczos pass from there loses
/// little (bench/: above 40 dB against a full-resolution Lanczos on every photo) and the decode costs no more
/// than it must.
int ik__plan_jpeg_scale(const ik__resize_plan *plan);

/// Maps a plan made for a full-size source onto the same source decoded at scaled_width x scaled_height.
void ik__plan_rescale(ik__resize_plan *plan, uint32_t full_width, uint32_t full_height, uint32_t scaled_width,
                      uint32_t scaled_height);

/* ---- EXIF orientation (orientation.c) ---- */

/// The EXIF Orientation (1...8) of a JPEG (APP1 "Exif") or PNG (eXIf chunk); 1 when absent or unreadable.
int ik__read_orientation(const unsigned char *data, size_t size, ik_format format);

/// Whether orientation 5...8 turns width into height.
static inline int ik__orientation_swaps_axes(int orientation) { return orientation >= 5 && orientation <= 8; }

/// Turns the stored pixels of `image` upright for `orientation`, replacing it (a new buffer; 1 changes nothing).
ik_status ik__orient(ik_image *image, int orientation, char *message, size_t capacity);

/// What ik__orient allocates beyond the image it turns: a copy, unless the orientation is 1.
uint64_t ik__orient_peak_bytes(uint32_t width, uint32_t height, uint32_t channels, int orientation);

/* ---- pixel operations ---- */

/// Rec. 601 luma of a row of `width` pixels of 3 or 4 channels into `out`: 1 channel, or 2 (alpha kept).
void ik__grayscale_row(const unsigned char *in, unsigned char *out, uint32_t width, uint32_t channels);

/// A step that resizes to `plan`, made for a source of planned_width x planned_height and mapped at start onto
/// the size the rows come in (a JPEG decoded scaled down), and hands the resized rows to `next`: Lanczos-3 over
/// a ring of the rows the vertical filter needs (see resize.c).
ik_status ik__resize_rows_new(const ik__resize_plan *plan, uint32_t planned_width, uint32_t planned_height,
                              ik__rows *next, ik__rows **rows, char *message, size_t capacity);

/// What an ik__resize_rows_new step holds for a source of width x height x channels and its plan (already
/// mapped onto that size): the weights of each axis, the ring and the row scratch.
uint64_t ik__resize_rows_peak_bytes(uint32_t width, uint32_t height, uint32_t channels, const ik__resize_plan *plan);

/// Multiplies colour by alpha in a row of `width` pixels of 2 or 4 channels, in place; returns 0 when every
/// pixel is opaque (and then changes nothing).
int ik__premultiply_row(unsigned char *row, uint32_t width, uint32_t channels);
/// Divides colour by alpha in place (the inverse of ik__premultiply_row, rounded).
void ik__unpremultiply_row(unsigned char *row, uint32_t width, uint32_t channels);
/// Composes a row of `width` pixels of 2 or 4 channels over white into `out`: 1 or 3 channels.
void ik__flatten_row(const unsigned char *in, unsigned char *out, uint32_t width, uint32_t channels);

#endif /* IMAGE_KERNEL_INTERNAL_H */
