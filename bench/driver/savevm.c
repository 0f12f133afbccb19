/* savevm: a model of QEMU's save loop (ram_save_iterate -> save_zero_page):
 * walk guest memory page by page, zero-check, emit a flag for a zero page or
 * header + page otherwise. CPU backends check one page per call, as QEMU
 * does; batching backends check a window of batch x queue_depth pages per
 * call and the pages of the window are emitted after it. save_cycles is the
 * TSC over the whole loop, zerocheck_cycles the TSC inside the checks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/tsc.h"
#include "dsa/error.h"
#include "sink.h"
#include "workload.h"

struct savevm {
    struct zcb_sink sink;
    size_t window; /* pages per zero-check call */
};

static int savevm_prepare(struct zcb_bench *b)
{
    struct savevm *s = calloc(1, sizeof *s);
    if (!s)
        return zc_fail(ENOMEM, "savevm: out of memory");
    b->priv = s;
    int rc = zcb_sink_open(&s->sink, b->c->sink);
    if (rc)
        return rc;
    bool batching = b->desc && strcmp(b->desc->device, "cpu") != 0;
    s->window = batching ? (size_t)b->desc->batch * b->desc->queue_depth : 1;
    if (!s->window)
        s->window = 1;
    return 0;
}

static int savevm_pass(struct zcb_bench *b, struct zcb_sample *out)
{
    struct savevm *s = b->priv;
    const uint8_t *mem = b->buf->data;
    size_t gran = b->buf->fill.gran;
    int rc = zcb_sink_rewind(&s->sink);
    if (rc)
        return rc;
    struct zcb_timer t;
    zcb_cold_flush(b);
    zcb_timer_start(&t);
    uint64_t start = zc_rdtsc(), in_check = 0;
    for (size_t p = 0; p < b->pages && !rc; p += s->window) {
        size_t n = b->pages - p < s->window ? b->pages - p : s->window;
        uint64_t c0 = zc_rdtsc();
        rc = zc_backend_check(b->be, mem + p * gran, n * gran, gran, b->answer + p);
        in_check += zc_rdtsc() - c0;
        if (rc)
            return zc_fail(-rc, "savevm: %s: check failed: %s", b->c->backend, zc_last_error());
        for (size_t i = p; i < p + n && !rc; i++)
            rc = zcb_sink_emit(&s->sink, (uint64_t)i * gran, mem + i * gran, gran, b->answer[i]);
    }
    if (!rc)
        rc = zcb_sink_flush(&s->sink);
    out->save_cycles = zc_rdtsc() - start;
    out->zerocheck_cycles = in_check;
    zcb_timer_stop(&t, out);
    return rc;
}

static void savevm_release(struct zcb_bench *b)
{
    struct savevm *s = b->priv;
    if (s)
        zcb_sink_close(&s->sink);
    free(s);
    b->priv = NULL;
}

const struct zcb_workload_ops zcb_wl_savevm = {
    .prepare = savevm_prepare,
    .pass = savevm_pass,
    .verify = zcb_verify_answers,
    .release = savevm_release,
};
