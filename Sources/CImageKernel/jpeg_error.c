/* jpeg_error.c — libjpeg's error manager turned into status codes, and the work limit. */
#include "jpeg_error.h"

#include <jerror.h>
#include <string.h>

static void on_error_exit(j_common_ptr cinfo) {
    ik__jpeg_error *error = (ik__jpeg_error *)cinfo->err;
    (*cinfo->err->format_message)(cinfo, error->text);
    longjmp(error->jump, 1);
}

static void on_emit_message(j_common_ptr cinfo, int level) {
    // level -1 is a warning; 0 and above are trace messages, which we never want.
    if (level < 0) {
        ik__jpeg_error *error = (ik__jpeg_error *)cinfo->err;
        error->manager.num_warnings++;
        if (error->manager.msg_code == JWRN_JPEG_EOF) {
            error->saw_end_of_data = 1;
        }
    }
}

struct jpeg_error_mgr *ik__jpeg_error_init(ik__jpeg_error *error) {
    memset(error, 0, sizeof(*error));
    jpeg_std_error(&error->manager);
    error->manager.error_exit = on_error_exit;
    error->manager.emit_message = on_emit_message;
    return &error->manager;
}

ik_status ik__jpeg_error_status(const ik__jpeg_error *error, char *message, size_t capacity) {
    if (error->forced_status != IK_OK) {
        return ik__fail(error->forced_status, message, capacity, "%s", error->text);
    }
    if (error->manager.msg_code == JERR_OUT_OF_MEMORY) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory in libjpeg");
    }
    // A fake end-of-image marker usually makes libjpeg fail later ("JPEG datastream contains no image"): the
    // real cause is the missing data.
    if (error->saw_end_of_data) {
        return ik__fail(IK_ERR_TRUNCATED, message, capacity, "JPEG data ends before the image is complete");
    }
    return ik__fail_with_codec_message(IK_ERR_CORRUPT, message, capacity, "corrupt JPEG", error->text);
}

/// Jumps out of libjpeg with `status` and the message already in `error->text`.
static void force(j_decompress_ptr cinfo, ik_status status) {
    ik__jpeg_error *error = (ik__jpeg_error *)cinfo->err;
    error->forced_status = status;
    longjmp(error->jump, 1);
}

static void on_progress(j_common_ptr common) {
    if (!common->is_decompressor) {
        return;
    }
    j_decompress_ptr cinfo = (j_decompress_ptr)common;
    ik__jpeg_progress *progress = (ik__jpeg_progress *)cinfo->progress;
    ik__jpeg_error *error = (ik__jpeg_error *)cinfo->err;
    // Called many times per scan (every row of MCUs); a scan is counted once, when its header has been read.
    if (cinfo->input_scan_number == progress->counted_scan || cinfo->comps_in_scan <= 0) {
        return;
    }
    progress->counted_scan = cinfo->input_scan_number;
    if (cinfo->input_scan_number > IK_JPEG_MAX_SCANS) {
        ik__fail(IK_ERR_CORRUPT, error->text, sizeof(error->text), "progressive JPEG has more than %d scans",
                 IK_JPEG_MAX_SCANS);
        force(cinfo, IK_ERR_CORRUPT);
    }
    if (progress->limit == 0) {
        uint64_t blocks = 0;
        for (int c = 0; c < cinfo->num_components; c++) {
            blocks += (uint64_t)cinfo->comp_info[c].width_in_blocks * cinfo->comp_info[c].height_in_blocks;
        }
        progress->limit = ik__jpeg_work_limit(blocks);
    }
    uint64_t blocks = 0;
    for (int c = 0; c < cinfo->comps_in_scan; c++) {
        blocks += (uint64_t)cinfo->cur_comp_info[c]->width_in_blocks * cinfo->cur_comp_info[c]->height_in_blocks;
    }
    progress->spent += ik__jpeg_scan_work(blocks, cinfo->progressive_mode, (unsigned)cinfo->Ss, (unsigned)cinfo->Se);
    if (progress->spent > progress->limit) {
        ik__jpeg_too_complex(error->text, sizeof(error->text), cinfo->input_scan_number, cinfo->image_width,
                             cinfo->image_height);
        force(cinfo, IK_ERR_TOO_COMPLEX);
    }
}

void ik__jpeg_limit_work(j_decompress_ptr cinfo, ik__jpeg_progress *progress) {
    memset(progress, 0, sizeof(*progress));
    progress->manager.progress_monitor = on_progress;
    cinfo->progress = &progress->manager;
}
