/* probe.c — format and dimensions from the first bytes, without a codec.
 *
 * JPEG: walk the marker segments to the first SOFn frame header. PNG: the signature and the IHDR chunk, which
 * the specification requires to come first.
 */
#include "kernel_internal.h"

#include <string.h>

static const unsigned char png_signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
static const unsigned char jpeg_signature[3] = {0xFF, 0xD8, 0xFF};

static uint32_t read_u16(const unsigned char *p) { return ((uint32_t)p[0] << 8) | p[1]; }
static uint32_t read_u32(const unsigned char *p) {
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/// SOF0...SOF15 carry the frame dimensions; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
static int is_start_of_frame(unsigned char marker) {
    return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

/// Markers that stand alone, without a length: TEM, RST0...RST7, SOI.
static int is_standalone(unsigned char marker) { return marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8); }

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
        if (is_start_of_frame(marker)) {
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
            return IK_OK;
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
    ik__clear_message(message, capacity);
    return IK_OK;
}
