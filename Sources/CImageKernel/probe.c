/* probe.c — format and dimensions from the first bytes, without a codec.
 *
 * JPEG: walk the marker segments to the first SOFn frame header, then on through the scan headers to add up
 * the decoding work they ask for (IK_JPEG_MAX_PASSES). PNG: the signature and the IHDR chunk, which the
 * specification requires to come first.
 */
#include "kernel_internal.h"

#include <string.h>

static const unsigned char png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
static const unsigned char jpeg_signature[3] = {0xFF, 0xD8, 0xFF};

static uint32_t read_u16(const unsigned char *p) { return ((uint32_t)p[0] << 8) | p[1]; }
static uint32_t read_u32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/// Markers that stand alone, without a length: TEM, RST0...RST7, SOI.
static int is_standalone(unsigned char marker) { return marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8); }

/// Whether SOFn is progressive: SOF2, SOF6, SOF10 and SOF14.
static int is_progressive_frame(unsigned char marker) { return (marker & 0x03) == 0x02; }

/// The components of a JPEG frame, as far as the work of its scans needs them.
typedef struct jpeg_frame {
    int progressive;
    uint32_t width;
    uint32_t height;
    unsigned count;
    unsigned char id[4];
    uint64_t blocks[4];
    uint64_t total_blocks;
} jpeg_frame;

/// Reads the component list of the frame header `segment` (past its length field). Returns 0 for anything
/// libjpeg would reject or the kernel does not decode (more than 4 components, sampling factors outside 1...4):
/// then the scans are not judged here, and the decoder's own check still applies.
static int read_frame(const unsigned char *segment, size_t length, unsigned char marker, jpeg_frame *frame) {
    memset(frame, 0, sizeof(*frame));
    frame->progressive = is_progressive_frame(marker);
    frame->height = read_u16(segment + 1);
    frame->width = read_u16(segment + 3);
    frame->count = segment[5];
    if (frame->count == 0 || frame->count > 4 || length < 6 + 3 * (size_t)frame->count) {
        return 0;
    }
    unsigned max_h = 1, max_v = 1;
    for (unsigned k = 0; k < frame->count; k++) {
        unsigned h = segment[7 + 3 * k] >> 4, v = segment[7 + 3 * k] & 0x0F;
        if (h < 1 || h > 4 || v < 1 || v > 4) {
            return 0;
        }
        max_h = h > max_h ? h : max_h;
        max_v = v > max_v ? v : max_v;
    }
    for (unsigned k = 0; k < frame->count; k++) {
        unsigned h = segment[7 + 3 * k] >> 4, v = segment[7 + 3 * k] & 0x0F;
        frame->id[k] = segment[6 + 3 * k];
        frame->blocks[k] = ik__jpeg_component_blocks(frame->width, frame->height, h, v, max_h, max_v);
        frame->total_blocks += frame->blocks[k];
    }
    return 1;
}

/// The work of the scan whose header is `segment` (past its length field, which says `length`) into `*work`.
/// Returns 0 for a header the walk does not understand: too short, or naming a component the frame lacks.
static int scan_work(const unsigned char *segment, size_t length, const jpeg_frame *frame, uint64_t *work) {
    size_t count = length >= 3 ? segment[0] : 0;
    if (count == 0 || count > frame->count || length < 6 + 2 * count) {
        return 0;
    }
    uint64_t blocks = 0;
    for (size_t k = 0; k < count; k++) {
        unsigned c = 0;
        while (c < frame->count && frame->id[c] != segment[1 + 2 * k]) {
            c++;
        }
        if (c == frame->count) {
            return 0;
        }
        blocks += frame->blocks[c];
    }
    unsigned spectral_start = segment[1 + 2 * count];
    unsigned spectral_end = segment[2 + 2 * count];
    *work = ik__jpeg_scan_work(blocks, frame->progressive, spectral_start, spectral_end);
    return 1;
}

/// Adds up the work of the scans from `position` (just past the frame header) to the end of the image or of the
/// data, and refuses the file once it exceeds the budget. Like the luma source, the walk gives up quietly on
/// anything it does not understand: the decoder judges damaged files, and watches the budget itself.
static ik_status check_scans(const unsigned char *data, size_t size, size_t position, const jpeg_frame *frame,
                             char *message, size_t capacity) {
    uint64_t limit = ik__jpeg_work_limit(frame->total_blocks);
    uint64_t spent = 0;
    int scan = 0;
    while (position + 4 <= size) {
        if (data[position] != 0xFF) {
            // Like libjpeg, step over stray bytes to the next marker.
            const unsigned char *found = memchr(data + position, 0xFF, size - position);
            if (found == NULL) {
                return IK_OK;
            }
            position = (size_t)(found - data);
            continue;
        }
        unsigned char marker = data[position + 1];
        if (marker == 0xFF) {
            position += 1;
            continue;
        }
        if (marker == 0xD9 || ik__jpeg_is_frame_marker(marker)) {
            return IK_OK;
        }
        if (is_standalone(marker)) {
            position += 2;
            continue;
        }
        size_t length = read_u16(data + position + 2);
        size_t segment_end = position + 2 + length;
        if (length < 2 || segment_end > size) {
            return IK_OK;
        }
        if (marker == 0xDA) {
            uint64_t work = 0;
            if (!scan_work(data + position + 4, length, frame, &work)) {
                return IK_OK;
            }
            spent += work;
            scan++;
            if (spent > limit) {
                return ik__jpeg_too_complex(message, capacity, scan, frame->width, frame->height);
            }
            position = ik__jpeg_entropy_end(data, size, segment_end);
            continue;
        }
        position = segment_end;
    }
    return IK_OK;
}

static ik_status probe_jpeg(const unsigned char *data, size_t size, ik_info *info, char *message, size_t capacity) {
    size_t position = 2;
    for (;;) {
        // Like libjpeg, skip anything that is not a marker, then any fill bytes (0xFF) before the marker code.
        while (position < size && data[position] != 0xFF) {
            position++;
        }
        while (position < size && data[position] == 0xFF) {
            position++;
        }
        if (position >= size) {
            break;
        }
        unsigned char marker = data[position++];
        if (is_standalone(marker)) {
            continue;
        }
        if (marker == 0xD9 || marker == 0xDA) {
            return ik__fail(IK_ERR_CORRUPT, message, capacity, "JPEG has no frame header before its image data");
        }
        if (size - position < 2) {
            break;
        }
        uint32_t length = read_u16(data + position);
        if (length < 2) {
            return ik__fail(IK_ERR_CORRUPT, message, capacity, "JPEG marker segment has a length below 2");
        }
        if (ik__jpeg_is_frame_marker(marker)) {
            // length(2) precision(1) height(2) width(2)
            if (length < 8) {
                return ik__fail(IK_ERR_CORRUPT, message, capacity, "JPEG frame header is too short");
            }
            if (size - position < 7) {
                break;
            }
            uint32_t height = read_u16(data + position + 3);
            uint32_t width = read_u16(data + position + 5);
            if (width == 0 || height == 0) {
                return ik__fail(IK_ERR_CORRUPT, message, capacity, "JPEG frame header gives an empty size %u x %u",
                                width, height);
            }
            info->format = IK_FORMAT_JPEG;
            info->width = width;
            info->height = height;
            jpeg_frame frame;
            if (size - position < length || !read_frame(data + position + 2, length - 2, marker, &frame)) {
                return IK_OK;
            }
            return check_scans(data, size, position + length, &frame, message, capacity);
        }
        if (size - position < length) {
            break;
        }
        position += length;
    }
    return ik__fail(IK_ERR_TRUNCATED, message, capacity, "JPEG data ends before the frame header");
}

static ik_status probe_png(const unsigned char *data, size_t size, ik_info *info, char *message, size_t capacity) {
    // signature(8) length(4) "IHDR"(4) width(4) height(4)
    if (size < 24) {
        return ik__fail(IK_ERR_TRUNCATED, message, capacity, "PNG data ends before the IHDR header");
    }
    if (read_u32(data + 8) != 13 || memcmp(data + 12, "IHDR", 4) != 0) {
        return ik__fail(IK_ERR_CORRUPT, message, capacity, "PNG does not start with an IHDR chunk");
    }
    uint32_t width = read_u32(data + 16);
    uint32_t height = read_u32(data + 20);
    // The PNG specification limits both to 2^31 - 1.
    if (width == 0 || height == 0 || width > 0x7FFFFFFFu || height > 0x7FFFFFFFu) {
        return ik__fail(IK_ERR_CORRUPT, message, capacity, "PNG IHDR gives an invalid size %u x %u", width, height);
    }
    info->format = IK_FORMAT_PNG;
    info->width = width;
    info->height = height;
    return IK_OK;
}

/// 1 if the first `size` bytes match `signature` (a prefix of it when the data is shorter).
static int matches(const unsigned char *data, size_t size, const unsigned char *signature, size_t length) {
    return memcmp(data, signature, size < length ? size : length) == 0;
}

ik_status ik_probe(const unsigned char *data, size_t size, ik_info *info, char *message, size_t capacity) {
    if (info == NULL || (data == NULL && size > 0)) {
        return ik__fail(IK_ERR_INVALID_ARGUMENT, message, capacity, "probe needs data and an info struct");
    }
    memset(info, 0, sizeof(*info));
    if (size == 0) {
        return ik__fail(IK_ERR_UNSUPPORTED_FORMAT, message, capacity, "data is empty: neither JPEG nor PNG");
    }
    ik_status status;
    if (matches(data, size, jpeg_signature, sizeof(jpeg_signature))) {
        status = size < sizeof(jpeg_signature)
                     ? ik__fail(IK_ERR_TRUNCATED, message, capacity, "JPEG data ends inside its signature")
                     : probe_jpeg(data, size, info, message, capacity);
    } else if (matches(data, size, png_signature, sizeof(png_signature))) {
        status = probe_png(data, size, info, message, capacity);
    } else {
        return ik__fail(IK_ERR_UNSUPPORTED_FORMAT, message, capacity, "data is neither JPEG nor PNG");
    }
    if (status != IK_OK) {
        memset(info, 0, sizeof(*info));
        return status;
    }
    info->orientation = ik__read_orientation(data, size, info->format);
    ik__clear_message(message, capacity);
    return IK_OK;
}
