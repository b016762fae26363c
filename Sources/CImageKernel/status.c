/* status.c — status names and the caller's message buffer. */
#include "kernel_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

const char *ik_status_name(ik_status status) {
    switch (status) {
    case IK_OK: return "ok";
    case IK_ERR_INVALID_ARGUMENT: return "invalid argument";
    case IK_ERR_UNSUPPORTED_FORMAT: return "unsupported format";
    case IK_ERR_CORRUPT: return "corrupt";
    case IK_ERR_TRUNCATED: return "truncated";
    case IK_ERR_TOO_MANY_PIXELS: return "too many pixels";
    case IK_ERR_OUT_OF_MEMORY: return "out of memory";
    case IK_ERR_TOO_COMPLEX: return "too complex";
    }
    return "unknown";
}

void ik__clear_message(char *message, size_t capacity) {
    if (message != NULL && capacity > 0) {
        message[0] = '\0';
    }
}

ik_status ik__fail(ik_status status, char *message, size_t capacity, const char *format, ...) {
    if (message != NULL && capacity > 0) {
        va_list arguments;
        va_start(arguments, format);
        vsnprintf(message, capacity, format, arguments);
        va_end(arguments);
    }
    return status;
}

ik_status ik__fail_with_codec_message(ik_status status, char *message, size_t capacity, const char *prefix,
                                      const char *codec_message) {
    if (message == NULL || capacity == 0) {
        return status;
    }
    int written = snprintf(message, capacity, "%s: %s", prefix, codec_message);
    size_t prefix_length = strlen(prefix) + 2;
    if (prefix_length < capacity && message[prefix_length] != '\0') {
        // "Bogus marker length" -> "bogus marker length", but keep acronyms such as "JPEG" or "IDAT" intact.
        if (!isupper((unsigned char)message[prefix_length + 1])) {
            message[prefix_length] = (char)tolower((unsigned char)message[prefix_length]);
        }
    }
    size_t length = written < 0 ? 0 : ((size_t)written < capacity ? (size_t)written : capacity - 1);
    if (length > 0 && message[length - 1] == '.') {
        message[length - 1] = '\0';
    }
    return status;
}

ik_status ik__jpeg_too_complex(char *message, size_t capacity, int scan, uint64_t width, uint64_t height) {
    return ik__fail(IK_ERR_TOO_COMPLEX, message, capacity,
                    "JPEG of %llu x %llu pixels asks for more than %d passes over its coefficients by scan %d",
                    (unsigned long long)width, (unsigned long long)height, IK_JPEG_MAX_PASSES, scan);
}
