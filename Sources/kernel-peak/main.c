/*
 * kernel-peak — measures the peak memory of one ik_process call and prints it beside ik_estimate_peak's bound.
 *
 *     kernel-peak FILE [--op grayscale,resize] [--width N] [--height N] [--fit inside|cover|fill]
 *                      [--format same|jpeg|png] [--quality Q] [--max-pixels N]
 *
 * prints one line of key=value pairs: estimate and output_estimate (ik_estimate_peak), peak (the most bytes
 * allocated at once during ik_process above what was allocated before it, the result included), estimator_peak
 * (the same for ik_estimate_peak itself), output (the result's size), width and height; or `error=` and the
 * kernel's message, exit status 1.
 *
 * How it measures: every allocation of the process is counted, by usable size (what glibc really hands out, a
 * little more than asked), in this program's own malloc, calloc, realloc and free, which glibc lets a program
 * replace (the GNU C Library manual, "Replacing malloc") and which forward to glibc's allocator (__libc_malloc
 * and friends). libjpeg, libpng and zlib allocate through them too. A realloc that moves counts the old and the
 * new block together, as if it copied. Under AddressSanitizer, which owns malloc, the same counts come from its
 * allocation hooks. The process runs one job on one thread, so nothing else is counted: this is the kernel's own
 * memory, not the resident set with its runtime, code and allocator caches (bench/peak.sh reports that too).
 */
#include <image_kernel.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <malloc.h>

static long long live_bytes;
static long long peak_bytes;

static void count(long long delta) {
    long long live = __atomic_add_fetch(&live_bytes, delta, __ATOMIC_RELAXED);
    if (live > __atomic_load_n(&peak_bytes, __ATOMIC_RELAXED)) {
        __atomic_store_n(&peak_bytes, live, __ATOMIC_RELAXED);
    }
}

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KERNEL_PEAK_ASAN 1
#endif
#endif

#if defined(KERNEL_PEAK_ASAN)
#include <sanitizer/allocator_interface.h>

static void on_malloc(const volatile void *pointer, size_t size) { count((long long)size); }
static void on_free(const volatile void *pointer) {
    count(-(long long)__sanitizer_get_allocated_size((const void *)pointer));
}
static void start_counting(void) { __sanitizer_install_malloc_and_free_hooks(on_malloc, on_free); }
#else
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void *__libc_memalign(size_t alignment, size_t size);
extern void __libc_free(void *pointer);

static void *counted(void *pointer) {
    if (pointer != NULL) {
        count((long long)malloc_usable_size(pointer));
    }
    return pointer;
}

void *malloc(size_t size) { return counted(__libc_malloc(size)); }
void *calloc(size_t count, size_t size) { return counted(__libc_calloc(count, size)); }
void *memalign(size_t alignment, size_t size) { return counted(__libc_memalign(alignment, size)); }
void *aligned_alloc(size_t alignment, size_t size) { return memalign(alignment, size); }
void *valloc(size_t size) { return memalign(4096, size); }
void *pvalloc(size_t size) { return memalign(4096, (size + 4095) & ~(size_t)4095); }

int posix_memalign(void **result, size_t alignment, size_t size) {
    void *pointer = memalign(alignment, size);
    if (pointer == NULL) {
        return ENOMEM;
    }
    *result = pointer;
    return 0;
}

void free(void *pointer) {
    if (pointer != NULL) {
        count(-(long long)malloc_usable_size(pointer));
        __libc_free(pointer);
    }
}

void *realloc(void *pointer, size_t size) {
    if (pointer == NULL) {
        return malloc(size);
    }
    long long before = (long long)malloc_usable_size(pointer);
    void *moved = __libc_realloc(pointer, size);
    if (moved == NULL) {
        // glibc's realloc(pointer, 0) frees the block; otherwise a failed realloc leaves it as it was.
        if (size == 0) {
            count(-before);
        }
        return NULL;
    }
    long long after = (long long)malloc_usable_size(moved);
    if (moved != pointer) {
        count(after);
        count(-before);
    } else {
        count(after - before);
    }
    return moved;
}

static void start_counting(void) {}
#endif

/// The peak above the current live bytes from now on.
static long long restart_peak(void) {
    long long live = __atomic_load_n(&live_bytes, __ATOMIC_RELAXED);
    __atomic_store_n(&peak_bytes, live, __ATOMIC_RELAXED);
    return live;
}

static int parse_operations(const char *text, ik_options *options) {
    char copy[256];
    snprintf(copy, sizeof(copy), "%s", text);
    options->operation_count = 0;
    for (char *name = strtok(copy, ","); name != NULL; name = strtok(NULL, ",")) {
        if (options->operation_count == IK_MAX_OPERATIONS) {
            return 0;
        }
        if (strcmp(name, "grayscale") == 0) {
            options->operations[options->operation_count++] = IK_OP_GRAYSCALE;
        } else if (strcmp(name, "resize") == 0) {
            options->operations[options->operation_count++] = IK_OP_RESIZE;
        } else {
            return 0;
        }
    }
    return 1;
}

static int parse_options(int argc, char **argv, ik_options *options) {
    for (int i = 2; i + 1 < argc; i += 2) {
        const char *name = argv[i];
        const char *value = argv[i + 1];
        if (strcmp(name, "--op") == 0) {
            if (!parse_operations(value, options)) {
                return 0;
            }
        } else if (strcmp(name, "--width") == 0) {
            options->width = (uint32_t)strtoul(value, NULL, 10);
        } else if (strcmp(name, "--height") == 0) {
            options->height = (uint32_t)strtoul(value, NULL, 10);
        } else if (strcmp(name, "--fit") == 0) {
            options->fit = strcmp(value, "cover") == 0  ? IK_FIT_COVER
                           : strcmp(value, "fill") == 0 ? IK_FIT_FILL
                                                        : IK_FIT_INSIDE;
        } else if (strcmp(name, "--format") == 0) {
            options->output_format = strcmp(value, "jpeg") == 0  ? IK_OUTPUT_JPEG
                                     : strcmp(value, "png") == 0 ? IK_OUTPUT_PNG
                                                                 : IK_OUTPUT_SAME;
        } else if (strcmp(name, "--quality") == 0) {
            options->jpeg_quality = atoi(value);
        } else if (strcmp(name, "--max-pixels") == 0) {
            options->max_pixels = strtoull(value, NULL, 10);
        } else {
            return 0;
        }
    }
    return argc % 2 == 0;
}

static unsigned char *read_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (file == NULL || fseek(file, 0, SEEK_END) != 0) {
        return NULL;
    }
    long length = ftell(file);
    unsigned char *data = length > 0 ? malloc((size_t)length) : NULL;
    if (data == NULL || fseek(file, 0, SEEK_SET) != 0 || fread(data, 1, (size_t)length, file) != (size_t)length) {
        free(data);
        fclose(file);
        return NULL;
    }
    fclose(file);
    *size = (size_t)length;
    return data;
}

int main(int argc, char **argv) {
    ik_options options;
    ik_options_init(&options);
    if (argc < 2 || !parse_options(argc, argv, &options)) {
        fprintf(stderr, "usage: kernel-peak FILE [--op LIST] [--width N] [--height N] [--fit F] [--format F] "
                        "[--quality Q] [--max-pixels N]\n");
        return 2;
    }
    size_t size = 0;
    unsigned char *data = read_file(argv[1], &size);
    if (data == NULL) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 2;
    }
    char message[IK_MESSAGE_CAPACITY];
    start_counting();

    long long before = restart_peak();
    ik_estimate estimate;
    ik_status status = ik_estimate_peak(data, size, &options, &estimate, message, sizeof(message));
    long long estimator_peak = peak_bytes - before;
    if (status != IK_OK) {
        printf("error=%d estimator_peak=%lld message=%s\n", (int)status, estimator_peak, message);
        return 1;
    }

    before = restart_peak();
    ik_output output;
    status = ik_process(data, size, &options, &output, message, sizeof(message));
    long long peak = peak_bytes - before;
    if (status != IK_OK) {
        printf("error=%d estimate=%llu estimator_peak=%lld peak=%lld message=%s\n", (int)status,
               (unsigned long long)estimate.peak_bytes, estimator_peak, peak, message);
        return 1;
    }
    printf("estimate=%llu output_estimate=%llu peak=%lld estimator_peak=%lld output=%zu width=%u height=%u\n",
           (unsigned long long)estimate.peak_bytes, (unsigned long long)estimate.output_bytes, peak, estimator_peak,
           output.size, output.width, output.height);
    ik_output_free(&output);
    free(data);
    return 0;
}
