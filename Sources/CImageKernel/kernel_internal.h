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
ik_status ik__check_dimensions(uint64_t width, uint64_t height, uint64_t max_pixels, char *message,
                               size_t capacity);

/// Readable bytes every pixel buffer has past its last row, so a filter may load 4 bytes of a 3-byte pixel.
#define IK__ROW_SLACK 8

/// Allocates width * height * channels bytes (plus IK__ROW_SLACK), overflow-checked, into `image`
/// (uninitialised pixels).
ik_status ik__image_alloc(ik_image *image, uint32_t width, uint32_t height, uint32_t channels, char *message,
                          size_t capacity);

/// The bytes ik__image_alloc takes for width x height x channels, with the allocator's slack (saturating).
uint64_t ik__image_bytes(uint64_t width, uint64_t height, uint64_t channels);

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

/// What a decoder will produce and the most it holds at once to produce it (the pixels included), worked out
/// from the header alone: the `*_estimate` functions beside each codec.
typedef struct ik__decode_estimate {
    uint32_t width;
    uint32_t height;
    uint32_t channels;
    uint64_t peak_bytes;
} ik__decode_estimate;

/// What an encoder holds besides the pixels it is given: its own state and rows, and the output buffer at its
/// largest; `output_bytes` is the largest result it can write.
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

/// Decodes a JPEG into a 1- or 3-channel image (CMYK and YCCK are converted to RGB).
ik_status ik__jpeg_decode(const unsigned char *data, size_t size, const ik__jpeg_request *request, ik_image *image,
                          char *message, size_t capacity);

/// Encodes a 1- or 3-channel image as baseline JPEG with 4:2:0 chroma (gray: one component).
ik_status ik__jpeg_encode(const ik_image *image, int quality, ik__buffer *output, char *message, size_t capacity);

/// ik__jpeg_decode's peak for `request`, from the header (libjpeg reads it; no pixel or coefficient memory).
ik_status ik__jpeg_decode_estimate(const unsigned char *data, size_t size, const ik__jpeg_request *request,
                                   ik__decode_estimate *estimate, char *message, size_t capacity);

/// ik__jpeg_encode's peak beyond the image, for a width x height image of `channels` (1 or 3). Fails as the
/// encoder would for a side JPEG cannot hold.
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

/// Decodes a PNG into a 1-, 2-, 3- or 4-channel 8-bit image.
ik_status ik__png_decode(const unsigned char *data, size_t size, uint64_t max_pixels, ik_image *image,
                         char *message, size_t capacity);

/// Encodes a 1-, 2-, 3- or 4-channel image as non-interlaced 8-bit PNG.
ik_status ik__png_encode(const ik_image *image, ik__buffer *output, char *message, size_t capacity);

/// ik__png_decode's peak, from the header (libpng reads up to the first IDAT; row-sized memory at most).
ik_status ik__png_decode_estimate(const unsigned char *data, size_t size, uint64_t max_pixels,
                                  ik__decode_estimate *estimate, char *message, size_t capacity);

/// ik__png_encode's peak beyond the image, for a width x height image of `channels`.
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

/// Rec. 601 luma in place: 3 channels become 1, 4 become 2 (alpha kept); 1 and 2 are left as they are.
void ik__grayscale(ik_image *image);

/// Lanczos-3 resize of `plan`'s rectangle of `source` into a new image `result`. Premultiplies `source` in
/// place when it has alpha (its pixels are clobbered: the caller discards it afterwards).
ik_status ik__resize(ik_image *source, const ik__resize_plan *plan, ik_image *result, char *message,
                     size_t capacity);

/// What ik__resize allocates beyond its source of source_width x source_height x channels: the result, the
/// weights of each axis, the row scratch and, when enlarging vertically, the intermediate image.
uint64_t ik__resize_peak_bytes(uint32_t source_width, uint32_t source_height, uint32_t channels,
                               const ik__resize_plan *plan);

/// Multiplies colour by alpha in place; returns 0 (and changes nothing) when every pixel is opaque.
int ik__premultiply(ik_image *image);
/// Divides colour by alpha in place (the inverse of ik__premultiply, rounded).
void ik__unpremultiply(ik_image *image);
/// Composes an image with alpha over white in place: 2 channels become 1, 4 become 3.
void ik__flatten_on_white(ik_image *image);

#endif /* IMAGE_KERNEL_INTERNAL_H */
