/*
 * orientation.c — EXIF orientation: read from the file, applied to the pixels.
 *
 * Cameras and phones store the sensor's pixels as they came and say in the EXIF Orientation tag (0x0112) how to
 * turn them upright. The tag lives in a TIFF structure: in a JPEG's APP1 "Exif" segment, or in a PNG's eXIf
 * chunk. Values (TIFF 6.0 / EXIF 2.3), as what the stored image needs to be shown upright:
 *
 *   1 as stored   2 mirrored left-right   3 turned 180   4 mirrored top-bottom
 *   5 transposed (mirrored across the main diagonal)   6 turned 90 clockwise
 *   7 transversed (mirrored across the other diagonal)   8 turned 90 counter-clockwise
 *
 * The pipeline plans the resize in upright coordinates, resizes the stored pixels, and turns the small result
 * upright here (cheap at the output size). Anything unreadable counts as 1: orientation is a hint, not data.
 */
#include "kernel_internal.h"

#include <string.h>

static uint32_t read16(const unsigned char *p, int little) {
    return little ? (uint32_t)p[0] | ((uint32_t)p[1] << 8) : ((uint32_t)p[0] << 8) | p[1];
}

static uint32_t read32(const unsigned char *p, int little) {
    return little ? read16(p, 1) | (read16(p + 2, 1) << 16) : (read16(p, 0) << 16) | read16(p + 2, 0);
}

/// The Orientation of IFD0 of a TIFF structure of `size` bytes, or 1.
static int tiff_orientation(const unsigned char *tiff, size_t size) {
    if (size < 8) {
        return 1;
    }
    int little = tiff[0] == 'I' && tiff[1] == 'I';
    if ((!little && (tiff[0] != 'M' || tiff[1] != 'M')) || read16(tiff + 2, little) != 42) {
        return 1;
    }
    uint32_t directory = read32(tiff + 4, little);
    if (directory > size - 2) {
        return 1;
    }
    uint32_t count = read16(tiff + directory, little);
    const unsigned char *entry = tiff + directory + 2;
    size_t room = (size - directory - 2) / 12;
    for (uint32_t i = 0; i < count && i < room; i++, entry += 12) {
        // tag(2) type(2) count(4) value(4); a SHORT value sits in the first two bytes of the value field.
        if (read16(entry, little) == 0x0112) {
            uint32_t value = read16(entry + 8, little);
            int is_short = read16(entry + 2, little) == 3 && read32(entry + 4, little) == 1;
            return is_short && value >= 1 && value <= 8 ? (int)value : 1;
        }
    }
    return 1;
}

static int jpeg_orientation(const unsigned char *data, size_t size) {
    size_t position = 2;
    while (position + 4 <= size && data[position] == 0xFF) {
        unsigned char marker = data[position + 1];
        if (marker == 0xFF) {
            position++; // fill byte
            continue;
        }
        if (marker == 0xD8 || marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
            position += 2;
            continue;
        }
        if (marker == 0xDA || marker == 0xD9) {
            break; // image data: no metadata segments follow that matter
        }
        size_t length = read16(data + position + 2, 0);
        if (length < 2 || length > size - position - 2) {
            break;
        }
        const unsigned char *segment = data + position + 4;
        if (marker == 0xE1 && length >= 8 && memcmp(segment, "Exif\0\0", 6) == 0) {
            return tiff_orientation(segment + 6, length - 8);
        }
        position += 2 + length;
    }
    return 1;
}

static int png_orientation(const unsigned char *data, size_t size) {
    size_t position = 8;
    while (position + 12 <= size) {
        size_t length = read32(data + position, 0);
        const unsigned char *type = data + position + 4;
        if (length > size - position - 12) {
            break;
        }
        if (memcmp(type, "eXIf", 4) == 0) {
            return tiff_orientation(data + position + 8, length);
        }
        if (memcmp(type, "IEND", 4) == 0) {
            break;
        }
        position += 12 + length;
    }
    return 1;
}

int ik__read_orientation(const unsigned char *data, size_t size, ik_format format) {
    return format == IK_FORMAT_JPEG ? jpeg_orientation(data, size) : png_orientation(data, size);
}

uint64_t ik__orient_peak_bytes(uint32_t width, uint32_t height, uint32_t channels, int orientation) {
    return orientation <= 1 || orientation > 8 ? 0 : ik__image_bytes(width, height, channels);
}

ik_status ik__orient(ik_image *image, int orientation, char *message, size_t capacity) {
    if (orientation <= 1 || orientation > 8) {
        return IK_OK;
    }
    uint32_t width = image->width;
    uint32_t height = image->height;
    int transposed = ik__orientation_swaps_axes(orientation);
    ik_image result;
    ik_status status = ik__image_alloc(&result, transposed ? height : width, transposed ? width : height,
                                       image->channels, message, capacity);
    if (status != IK_OK) {
        return status;
    }
    size_t channels = image->channels;
    ptrdiff_t stride = (ptrdiff_t)image->stride;
    ptrdiff_t pixel = (ptrdiff_t)channels;
    for (uint32_t y = 0; y < result.height; y++) {
        // Where upright row y starts in the stored image, and how far apart its pixels are there.
        uint32_t column = 0;
        uint32_t row = 0;
        ptrdiff_t step = pixel;
        switch (orientation) {
        case 2: column = width - 1, row = y, step = -pixel; break;
        case 3: column = width - 1, row = height - 1 - y, step = -pixel; break;
        case 4: column = 0, row = height - 1 - y, step = pixel; break;
        case 5: column = y, row = 0, step = stride; break;
        case 6: column = y, row = height - 1, step = -stride; break;
        case 7: column = width - 1 - y, row = height - 1, step = -stride; break;
        default: column = width - 1 - y, row = 0, step = stride; break; /* 8 */
        }
        const unsigned char *in = image->data + (size_t)row * image->stride + (size_t)column * channels;
        unsigned char *out = result.data + (size_t)y * result.stride;
        for (uint32_t x = 0; x < result.width; x++, in += step, out += channels) {
            memcpy(out, in, channels);
        }
    }
    ik_image_free(image);
    *image = result;
    return IK_OK;
}
