/*
 * kernel_fuzzer.c — libFuzzer harness for the image kernel's decode paths (ik_probe, ik_decode, ik_process).
 *
 * Built twice by scripts/fuzz.sh, with -DFUZZ_FORMAT=IK_FORMAT_JPEG and -DFUZZ_FORMAT=IK_FORMAT_PNG: inputs whose
 * first byte is not that format's are refused (return -1), so each fuzzer spends its time inside one decoder.
 *
 * The last byte of an input chooses what is done with the rest (so mutations of the image and of the options are
 * independent):
 *   bits 0-1  0 ik_decode, 1 grayscale, 2 resize, 3 resize then grayscale
 *   bits 2-3  the fit
 *   bits 4-5  the output format (same, JPEG, PNG)
 *   bits 6-7  the resize box: width only, height only, both, both and tiny
 * max_pixels is small (1 megapixel) so that each run is fast and a header claiming a huge image is refused.
 *
 * Besides the sanitizers' findings, the kernel's own contract is checked and a breach aborts: a known status, a
 * NUL-terminated message, a zeroed result on error, a non-empty result within the limits on success.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "image_kernel.h"

#ifndef FUZZ_FORMAT
#error "define FUZZ_FORMAT as IK_FORMAT_JPEG or IK_FORMAT_PNG"
#endif

enum { MAX_PIXELS = 1u << 20 };

/// The highest status the kernel reports (image_kernel.h): anything above is a value the kernel never defined.
#define LAST_STATUS IK_ERR_TOO_COMPLEX

static void require(int condition) {
    if (!condition) {
        abort();
    }
}

static void check_message(ik_status status, const char *message, size_t capacity) {
    size_t length = strnlen(message, capacity);
    require(length < capacity);
    require((status == IK_OK) == (length == 0));
}

static int is_zero(const void *value, size_t size) {
    const unsigned char *bytes = value;
    for (size_t i = 0; i < size; i++) {
        if (bytes[i] != 0) {
            return 0;
        }
    }
    return 1;
}

static void decode(const unsigned char *data, size_t size) {
    char message[IK_MESSAGE_CAPACITY];
    ik_image image;
    memset(&image, 0xA5, sizeof image);
    ik_status status = ik_decode(data, size, MAX_PIXELS, &image, message, sizeof message);
    require(status <= LAST_STATUS);
    check_message(status, message, sizeof message);
    if (status != IK_OK) {
        require(is_zero(&image, sizeof image));
        return;
    }
    require(image.data != NULL && image.width > 0 && image.height > 0);
    require((uint64_t)image.width * image.height <= MAX_PIXELS);
    require(image.channels >= 1 && image.channels <= 4 && image.stride == (size_t)image.width * image.channels);
    // Touch every byte, so that a short allocation or uninitialised rows show up under the sanitizers.
    unsigned sum = 0;
    for (size_t i = 0; i < image.stride * image.height; i++) {
        sum += image.data[i];
    }
    (void)sum;
    ik_image_free(&image);
    require(is_zero(&image, sizeof image));
}

static void process(const unsigned char *data, size_t size, unsigned char selector) {
    ik_options options;
    ik_options_init(&options);
    options.max_pixels = MAX_PIXELS;
    switch (selector & 3) {
    case 1: options.operations[options.operation_count++] = IK_OP_GRAYSCALE; break;
    case 2: options.operations[options.operation_count++] = IK_OP_RESIZE; break;
    default:
        options.operations[options.operation_count++] = IK_OP_RESIZE;
        options.operations[options.operation_count++] = IK_OP_GRAYSCALE;
        break;
    }
    options.fit = (ik_fit)((selector >> 2) & 3) % 3;
    options.output_format = (ik_output_format)((selector >> 4) & 3) % 3;
    switch (selector >> 6) {
    case 0: options.width = 48; break;
    case 1: options.height = 40; break;
    case 2:
        options.width = 64;
        options.height = 24;
        break;
    default:
        options.width = 1;
        options.height = 3;
        break;
    }
    options.jpeg_quality = 1 + selector % 100;

    char message[IK_MESSAGE_CAPACITY];
    ik_output output;
    memset(&output, 0xA5, sizeof output);
    ik_status status = ik_process(data, size, &options, &output, message, sizeof message);
    require(status <= LAST_STATUS);
    check_message(status, message, sizeof message);
    if (status != IK_OK) {
        require(is_zero(&output, sizeof output));
        return;
    }
    require(output.data != NULL && output.size > 0);
    require(output.width > 0 && output.height > 0 && (uint64_t)output.width * output.height <= MAX_PIXELS);
    require(output.format == IK_FORMAT_JPEG || output.format == IK_FORMAT_PNG);

    // What the kernel wrote must read back as what it says it is.
    ik_info info;
    char probe_message[IK_MESSAGE_CAPACITY];
    require(ik_probe(output.data, output.size, &info, probe_message, sizeof probe_message) == IK_OK);
    require(info.format == output.format && info.width == output.width && info.height == output.height);
    ik_output_free(&output);
    require(is_zero(&output, sizeof output));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size < 2) {
        return 0;
    }
    // JPEG starts with FF D8 FF, PNG with 89 'P' 'N' 'G'.
    if (data[0] != (FUZZ_FORMAT == IK_FORMAT_JPEG ? 0xFF : 0x89)) {
        return -1;
    }
    unsigned char selector = data[size - 1];
    size--;

    char message[IK_MESSAGE_CAPACITY];
    ik_info info;
    ik_status status = ik_probe(data, size, &info, message, sizeof message);
    require(status <= LAST_STATUS);
    check_message(status, message, sizeof message);
    if (status == IK_OK) {
        require(info.format == FUZZ_FORMAT && info.width > 0 && info.height > 0);
    } else {
        require(is_zero(&info, sizeof info));
    }

    if ((selector & 3) == 0) {
        decode(data, size);
    } else {
        process(data, size, selector);
    }
    return 0;
}
