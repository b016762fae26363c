/*
 * resize.c — separable Lanczos-3 resampling, as a step of rows.
 *
 * The weights of each axis are computed once (resize_weights.c). Two passes, in the cheaper order, over the rows
 * as they come (a step of rows, ik__rows): the source rows go into a ring that holds the few the vertical filter
 * reads, and each output row is made as soon as the ring holds all of its rows. Usually vertical first: the
 * vertical sums over contiguous bytes (which vectorise well) give one full-width row, which the horizontal filter
 * (one vector multiply-add per pixel and tap) turns into the output row; the horizontal filter then runs over
 * output rows only. When the image grows vertically, horizontal first: each source row is filtered into the ring
 * as it comes. A pass is skipped when its axis neither scales nor crops. Colour is filtered premultiplied by
 * alpha. The filters themselves are resize_filters.c, with their AVX2 variants in resize_avx2.c.
 */
#include "resize_internal.h"

#include <stdlib.h>
#include <string.h>

/// Whether an axis of `source_size` pixels maps [start, end) onto `size` pixels without any change.
static int is_identity(uint32_t source_size, double start, double end, uint32_t size) {
    return size == source_size && start == 0.0 && end == (double)source_size;
}

/// What a resize step allocates for a source of width x height x channels, as start allocates it and
/// ik__resize_rows_peak_bytes counts it.
typedef struct layout {
    int horizontal;
    int vertical;
    /// Horizontal pass first, when the image grows vertically: fewer source rows than output rows to filter.
    int horizontal_first;
    size_t stride;
    /// The ring of the rows the vertical pass reads (source rows, or filtered ones when horizontal first):
    /// row_bytes each, slot_bytes apart, room for the window and IK__ROWS_AHEAD - 1 rows more that a decoder
    /// writes ahead.
    uint64_t ring_rows;
    uint64_t ring_row_bytes;
    uint64_t slot_bytes;
    /// Source rows waiting for the horizontal filter (horizontal first, or no vertical pass): IK__ROWS_AHEAD rows.
    uint64_t input_bytes;
    /// A vertically filtered row before the horizontal filter (vertical first with both passes).
    uint64_t row_bytes;
} layout;

/// The layout of a resize from width x height x channels; the vertical pass's taps come from its plan.
static layout layout_for(uint32_t width, uint32_t height, uint32_t channels, const ik__resize_plan *plan) {
    layout result = {0};
    result.horizontal = !is_identity(width, plan->x0, plan->x1, plan->width);
    result.vertical = !is_identity(height, plan->y0, plan->y1, plan->height);
    result.horizontal_first = result.horizontal && result.vertical && plan->height > height;
    result.stride = (size_t)width * channels;
    if (result.vertical) {
        result.ring_rows = (uint64_t)ik__axis_taps(height, plan->y0, plan->y1, plan->height) + IK__ROWS_AHEAD - 1;
        result.ring_row_bytes = result.horizontal_first ? (uint64_t)plan->width * channels : result.stride;
        // The filters' 4-byte stores pass a row's end: a slot's slack keeps them off the next slot's row.
        result.slot_bytes = result.ring_row_bytes + IK__ROW_SLACK;
    }
    if (!result.vertical || result.horizontal_first) {
        result.input_bytes = ik__sat_add(ik__sat_mul(result.stride, IK__ROWS_AHEAD), IK__ROW_SLACK);
    }
    if (result.horizontal && result.vertical && !result.horizontal_first) {
        result.row_bytes = result.stride + IK__ROW_SLACK;
    }
    return result;
}

/// A resize as a step of rows. Vertical pass first, one output row at a time, as soon as the ring holds the
/// source rows it needs: the vertical sums of a full-width row into `row`, then that row filtered horizontally
/// into the next step's row (the horizontal filter, the costlier per sample, runs over output rows only).
/// Horizontal first when the image grows vertically: each source row the vertical pass needs is filtered into
/// the ring as it comes, and the vertical pass reads the ring. Colour is filtered premultiplied by alpha.
typedef struct resize_rows {
    ik__rows rows; /* first: the step's methods */
    ik__rows *next;
    ik__resize_plan plan;
    /// The source size `plan` was made for; start maps the plan onto the size the rows come in.
    uint32_t planned_width;
    uint32_t planned_height;
    uint32_t width;
    uint32_t height;
    uint32_t channels;
    layout layout;
    ik__axis_weights columns;
    ik__axis_weights lines;
    unsigned char *ring;
    unsigned char *input;
    unsigned char *row;
    int32_t *sums;
    /// The ring rows one output row reads.
    const unsigned char **window;
    /// Source rows taken, output rows handed on.
    uint32_t received;
    uint32_t emitted;
    /// Whether a row taken so far had a pixel that is not opaque: the output rows are then un-premultiplied.
    int premultiplied;
} resize_rows;
_Static_assert(sizeof(resize_rows) <= IK__STEP_STRUCT_MAX, "IK__STEP_BYTES counts the struct");

static unsigned char *slot(const resize_rows *self, uint32_t source_row) {
    return self->ring + (size_t)(source_row % self->layout.ring_rows) * self->layout.slot_bytes;
}

uint64_t ik__resize_rows_peak_bytes(uint32_t width, uint32_t height, uint32_t channels, const ik__resize_plan *plan) {
    layout need = layout_for(width, height, channels, plan);
    uint64_t bytes = IK__STEP_BYTES;
    if (need.horizontal) {
        bytes = ik__sat_add(bytes, ik__axis_peak_bytes(width, plan->x0, plan->x1, plan->width));
    }
    if (need.vertical) {
        bytes = ik__sat_add(bytes, ik__axis_peak_bytes(height, plan->y0, plan->y1, plan->height));
        bytes = ik__sat_add(bytes, ik__sat_add(ik__sat_mul(need.ring_rows, need.slot_bytes), IK__ALLOCATION_SLACK));
        bytes = ik__sat_add(bytes, ik__sat_mul(need.ring_row_bytes, sizeof(int32_t)) + IK__ALLOCATION_SLACK);
        bytes = ik__sat_add(bytes, ik__sat_mul(need.ring_rows, sizeof(unsigned char *)) + IK__ALLOCATION_SLACK);
    }
    if (need.input_bytes > 0) {
        bytes = ik__sat_add(bytes, need.input_bytes + IK__ALLOCATION_SLACK);
    }
    if (need.row_bytes > 0) {
        bytes = ik__sat_add(bytes, need.row_bytes + IK__ALLOCATION_SLACK);
    }
    return bytes;
}

static ik_status resize_start(ik__rows *rows, uint32_t width, uint32_t height, uint32_t channels, char *message,
                              size_t capacity) {
    resize_rows *self = (resize_rows *)rows;
    ik__resize_plan *plan = &self->plan;
    ik__plan_rescale(plan, self->planned_width, self->planned_height, width, height);
    self->width = width;
    self->height = height;
    self->channels = channels;
    self->layout = layout_for(width, height, channels, plan);
    const layout *need = &self->layout;
    ik_status status = IK_OK;
    if (need->horizontal) {
        status = ik__axis_init(&self->columns, width, plan->x0, plan->x1, plan->width, message, capacity);
    }
    if (status == IK_OK && need->vertical) {
        status = ik__axis_init(&self->lines, height, plan->y0, plan->y1, plan->height, message, capacity);
    }
    if (status != IK_OK) {
        return status;
    }
    // The ring is at most taps + 3 rows of the wider image, each far below what the decoder already holds.
    int failed = 0;
    if (need->vertical) {
        failed |= (self->ring = malloc((size_t)(need->ring_rows * need->slot_bytes))) == NULL;
        failed |= (self->sums = malloc((size_t)need->ring_row_bytes * sizeof(int32_t))) == NULL;
        failed |= (self->window = malloc((size_t)need->ring_rows * sizeof(unsigned char *))) == NULL;
    }
    if (need->input_bytes > 0) {
        failed |= (self->input = malloc((size_t)need->input_bytes)) == NULL;
    }
    if (need->row_bytes > 0) {
        failed |= (self->row = malloc((size_t)need->row_bytes)) == NULL;
    }
    if (failed) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for resize rows");
    }
    return self->next->start(self->next, plan->width, plan->height, channels, message, capacity);
}

static unsigned char *resize_row(ik__rows *rows, uint32_t ahead) {
    resize_rows *self = (resize_rows *)rows;
    if (self->input != NULL) {
        return ahead < IK__ROWS_AHEAD ? self->input + ahead * self->layout.stride : NULL;
    }
    // A slot is free unless it holds a row from the oldest one the next output row reads on.
    uint32_t source_row = self->received + ahead;
    if (self->emitted < self->plan.height &&
        source_row >= (uint64_t)self->lines.first[self->emitted] + self->layout.ring_rows) {
        return NULL;
    }
    return slot(self, source_row);
}

/// Hands `out`, an output row written in the next step's row, on.
static ik_status hand_on(resize_rows *self, unsigned char *out, char *message, size_t capacity) {
    if (self->premultiplied) {
        ik__unpremultiply_row(out, self->plan.width, self->channels);
    }
    self->emitted++;
    return self->next->commit(self->next, 1, message, capacity);
}

/// The output rows whose source rows have all come, vertically (and horizontally) filtered.
static ik_status emit_ready(resize_rows *self, char *message, size_t capacity) {
    const ik__axis_weights *lines = &self->lines;
    ik__rows *next = self->next;
    ik_status status = IK_OK;
    while (status == IK_OK && self->emitted < self->plan.height &&
           (uint32_t)(lines->first[self->emitted] + lines->count[self->emitted]) <= self->received) {
        uint32_t y = self->emitted;
        int32_t count = lines->count[y];
        for (int32_t k = 0; k < count; k++) {
            self->window[k] = slot(self, (uint32_t)(lines->first[y] + k));
        }
        const int32_t *weights = lines->weights + (size_t)y * lines->taps;
        unsigned char *out = next->row(next, 0);
        if (self->row != NULL) {
            ik__vertical_row(self->window, self->layout.ring_row_bytes, weights, count, self->sums, self->row);
            ik__horizontal_row(self->row, out, &self->columns, self->channels, self->layout.row_bytes);
        } else {
            ik__vertical_row(self->window, self->layout.ring_row_bytes, weights, count, self->sums, out);
        }
        status = hand_on(self, out, message, capacity);
    }
    return status;
}

/// A source row from `input` without a vertical pass: filtered (or copied) into the next step's row.
static ik_status pass_row(resize_rows *self, const unsigned char *in, char *message, size_t capacity) {
    unsigned char *out = self->next->row(self->next, 0);
    if (self->layout.horizontal) {
        ik__horizontal_row(in, out, &self->columns, self->channels, self->layout.stride + IK__ROW_SLACK);
    } else {
        memcpy(out, in, self->layout.stride);
    }
    return hand_on(self, out, message, capacity);
}

static ik_status resize_commit(ik__rows *rows, uint32_t count, char *message, size_t capacity) {
    resize_rows *self = (resize_rows *)rows;
    const layout *need = &self->layout;
    int alpha = self->channels == 2 || self->channels == 4;
    ik_status status = IK_OK;
    for (uint32_t i = 0; i < count && status == IK_OK; i++) {
        uint32_t source_row = self->received;
        unsigned char *in = self->input != NULL ? self->input + i * need->stride : slot(self, source_row);
        if (alpha) {
            self->premultiplied |= ik__premultiply_row(in, self->width, self->channels);
        }
        self->received++;
        if (!need->vertical) {
            status = pass_row(self, in, message, capacity);
            continue;
        }
        const ik__axis_weights *lines = &self->lines;
        uint32_t last = (uint32_t)(lines->first[lines->size - 1] + lines->count[lines->size - 1]);
        // Horizontal first: only the rows the vertical pass reads are filtered (`first` never decreases).
        if (need->horizontal_first && source_row >= (uint32_t)lines->first[0] && source_row < last) {
            ik__horizontal_row(in, slot(self, source_row), &self->columns, self->channels,
                               need->stride + IK__ROW_SLACK);
        }
        status = emit_ready(self, message, capacity);
    }
    return status;
}

static void resize_release(ik__rows *rows) {
    resize_rows *self = (resize_rows *)rows;
    ik__axis_free(&self->columns);
    ik__axis_free(&self->lines);
    free(self->ring);
    free(self->input);
    free(self->row);
    free(self->sums);
    free(self->window);
    free(self);
}

ik_status ik__resize_rows_new(const ik__resize_plan *plan, uint32_t planned_width, uint32_t planned_height,
                              ik__rows *next, ik__rows **rows, char *message, size_t capacity) {
    resize_rows *self =
        ik__rows_alloc(sizeof(*self), (ik__rows){resize_start, resize_row, resize_commit, resize_release}, rows);
    if (self == NULL) {
        return ik__fail(IK_ERR_OUT_OF_MEMORY, message, capacity, "out of memory for a resize step");
    }
    self->next = next;
    self->plan = *plan;
    self->planned_width = planned_width;
    self->planned_height = planned_height;
    return IK_OK;
}
