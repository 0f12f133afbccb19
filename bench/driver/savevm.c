/* savevm: a model of QEMU's save loop (ram_save_iterate -> save_zero_page):
 * mark every page dirty, walk the dirty bitmap page by page (find the next
 * dirty page, clear its bit), zero-check, emit a flag for a zero page or
 * header + page otherwise. CPU backends check one page per call, as QEMU
 * does; batching backends check a window of up to batch x queue_depth dirty
 * pages in a row per call and the pages of the window are emitted after it.
 * save_cycles is the TSC over the whole loop, zerocheck_cycles the TSC
 * inside the checks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dirty_bitmap.h"
#include "dsa/error.h"
#include "sink.h"
#include "workload.h"

struct savevm {
    struct zcb_sink sink;
    struct zcb_dirty_bitmap dirty;
    size_t window; /* pages per zero-check call */
};

static int savevm_prepare(struct zcb_bench *b)
{
    struct savevm *s = calloc(1, sizeof *s);
    if (!s)
        return zc_fail(ENOMEM, "savevm: out of memory");
    b->priv = s;
    if (zcb_dirty_bitmap_init(&s->dirty, b->pages))
        return zc_fail(ENOMEM, "savevm: out of memory for the dirty bitmap of %zu pages", b->pages);
    int rc = zcb_sink_open(&s->sink, b->c->sink);
    if (rc)
        return rc;
    bool batching = b->desc && strcmp(b->desc->device, "cpu") != 0;
    s->window = batching ? (size_t)b->desc->batch * b->desc->queue_depth : 1;
    if (!s->window)
        s->window = 1;
    return 0;
}

/* Every pass writes the image from its start, as a new savevm would. */
static int savevm_before_sample(struct zcb_bench *b)
{
    struct savevm *s = b->priv;
    zcb_cold_flush(b);
    return zcb_sink_rewind(&s->sink);
}

static int savevm_pass(struct zcb_bench *b, struct zcb_sample *out)
{
    struct savevm *s = b->priv;
    const uint8_t *mem = b->buf->data;
    size_t gran = b->buf->fill.gran;
    int rc = 0;
    uint64_t start = zcb_cycles_now(b), in_check = 0;
    zcb_dirty_bitmap_mark_all(&s->dirty);
    for (size_t p = zcb_dirty_bitmap_next(&s->dirty, 0); p < b->pages && !rc;
         p = zcb_dirty_bitmap_next(&s->dirty, p)) {
        size_t n = 0;
        while (n < s->window && p + n < b->pages && zcb_dirty_bitmap_test_and_clear(&s->dirty, p + n))
            n++;
        uint64_t c0 = zcb_cycles_now(b);
        rc = zc_backend_check(b->be, mem + p * gran, n * gran, gran, b->answer + p);
        in_check += zcb_cycles_now(b) - c0;
        if (rc)
            return zc_fail(-rc, "savevm: %s: check failed: %s", b->c->backend, zc_last_error());
        for (size_t i = p; i < p + n && !rc; i++)
            rc = zcb_sink_emit(&s->sink, (uint64_t)i * gran, mem + i * gran, gran, b->answer[i]);
        p += n;
    }
    if (!rc)
        rc = zcb_sink_flush(&s->sink);
    out->save_cycles = zcb_cycles_now(b) - start;
    out->zerocheck_cycles = in_check;
    return rc;
}

static void savevm_release(struct zcb_bench *b)
{
    struct savevm *s = b->priv;
    if (s) {
        zcb_sink_close(&s->sink);
        zcb_dirty_bitmap_free(&s->dirty);
    }
    free(s);
    b->priv = NULL;
}

const struct zcb_workload_ops zcb_wl_savevm = {
    .prepare = savevm_prepare,
    .before_sample = savevm_before_sample,
    .pass = savevm_pass,
    .verify = zcb_verify_answers,
    .release = savevm_release,
};
