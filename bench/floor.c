/*
 * floor.c — the decode floor of a JPEG job: decode each file with libjpeg(-turbo) at the DCT scale the job
 * needs, with libjpeg's default settings, and discard the pixels. No resampling, no encoding.
 *
 *   floor resize WIDTH FILE...   largest M/8 reduction (M = 1...8) that keeps the width >= WIDTH, RGB
 *   floor gray FILE...           full size, luma only (JCS_GRAYSCALE)
 *
 * Entropy decoding cannot be skipped, so no JPEG job can cost less than this.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jpeglib.h>

static unsigned char *read_file(const char *path, size_t *size) {
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        perror(path);
        exit(1);
    }
    fseek(file, 0, SEEK_END);
    long length = ftell(file);
    fseek(file, 0, SEEK_SET);
    unsigned char *data = malloc((size_t)length);
    if (data == NULL || fread(data, 1, (size_t)length, file) != (size_t)length) {
        fprintf(stderr, "cannot read %s\n", path);
        exit(1);
    }
    fclose(file);
    *size = (size_t)length;
    return data;
}

static void decode(const char *path, int gray, unsigned target_width) {
    size_t size = 0;
    unsigned char *data = read_file(path, &size);
    struct jpeg_decompress_struct cinfo;
    struct jpeg_error_mgr error;
    cinfo.err = jpeg_std_error(&error);
    jpeg_create_decompress(&cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if (gray) {
        cinfo.out_color_space = JCS_GRAYSCALE;
    } else {
        cinfo.out_color_space = JCS_RGB;
        cinfo.scale_denom = 8;
        for (unsigned m = 1; m <= 8; m++) {
            cinfo.scale_num = m;
            jpeg_calc_output_dimensions(&cinfo);
            if (cinfo.output_width >= target_width) {
                break;
            }
        }
    }
    jpeg_start_decompress(&cinfo);
    size_t row_bytes = (size_t)cinfo.output_width * (size_t)cinfo.output_components;
    unsigned char *rows = malloc(row_bytes * 4);
    JSAMPROW pointers[4] = {rows, rows + row_bytes, rows + 2 * row_bytes, rows + 3 * row_bytes};
    while (cinfo.output_scanline < cinfo.output_height) {
        jpeg_read_scanlines(&cinfo, pointers, 4);
    }
    jpeg_finish_decompress(&cinfo);
    jpeg_destroy_decompress(&cinfo);
    free(rows);
    free(data);
}

int main(int argc, char **argv) {
    if (argc >= 3 && strcmp(argv[1], "gray") == 0) {
        for (int i = 2; i < argc; i++) {
            decode(argv[i], 1, 0);
        }
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "resize") == 0) {
        unsigned width = (unsigned)atoi(argv[2]);
        for (int i = 3; i < argc; i++) {
            decode(argv[i], 0, width);
        }
        return 0;
    }
    fprintf(stderr, "usage: floor resize WIDTH FILE... | floor gray FILE...\n");
    return 2;
}
