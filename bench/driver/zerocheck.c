/* zerocheck: one zc_backend_check over the whole buffer per pass; and the
 * read-ceiling reference kernel on the same buffer. */
#include <errno.h>
#include <string.h>

#include <zc/cpu.h>

#include "dsa/error.h"
#include "workload.h"

void zcb_cold_flush(const struct zcb_bench *b)
{
    if (b->c->cache == ZCB_CACHE_COLD)
        zcb_flush(b->buf->data, b->buf->fill.len);
}

int zcb_verify_answers(struct zcb_bench *b)
{
    size_t z = 0;
    for (size_t i = 0; i < b->pages; i++)
        z += b->answer[i];
    b->answered_zero = z;
    size_t bad = zcb_first_mismatch(b->buf, b->answer);
    if (bad == SIZE_MAX)
        return 0;
    return zc_fail(EIO, "wrong answer from %s: page %zu reported %s, the CPU oracle says %s",
                   b->c->backend, bad, b->answer[bad] ? "zero" : "non-zero",
                   b->answer[bad] ? "non-zero" : "zero");
}

static int no_prepare(struct zcb_bench *b)
{
    (void)b;
    return 0;
}

static void no_release(struct zcb_bench *b) { (void)b; }

static int check_passes(struct zcb_bench *b, unsigned n, struct zcb_sample *out)
{
    (void)out;
    struct zc_backend *be = b->be;
    const void *data = b->buf->data;
    size_t len = b->buf->fill.len, gran = b->buf->fill.gran;
    bool *answer = b->answer;
    int rc = 0;
    for (unsigned i = 0; i < n && !rc; i++)
        rc = zc_backend_check(be, data, len, gran, answer);
    return rc ? zc_fail(-rc, "%s: check failed: %s", b->c->backend, zc_last_error()) : 0;
}

const struct zcb_workload_ops zcb_wl_zerocheck = {
    .prepare = no_prepare,
    .passes = check_passes,
    .verify = zcb_verify_answers,
    .release = no_release,
};

/* The reference reads every byte with no early exit; its OR is kept so the
 * loads cannot be optimized away and is checked against the oracle. */
struct read_state {
    uint64_t or_all;
};

static struct read_state read_state;

static int read_prepare(struct zcb_bench *b)
{
    b->priv = &read_state;
    return 0;
}

static int read_passes(struct zcb_bench *b, unsigned n, struct zcb_sample *out)
{
    (void)out;
    const void *data = b->buf->data;
    size_t len = b->buf->fill.len;
    for (unsigned i = 0; i < n; i++)
        read_state.or_all = zc_cpu_read_or(data, len);
    return 0;
}

static int read_verify(struct zcb_bench *b)
{
    bool all_zero = b->buf->oracle_zero == b->pages;
    b->answered_zero = b->buf->oracle_zero;
    if ((read_state.or_all == 0) == all_zero)
        return 0;
    return zc_fail(EIO, "wrong answer from %s: OR of the buffer is %#llx but the oracle says %s",
                   ZCB_REF_BACKEND, (unsigned long long)read_state.or_all,
                   all_zero ? "all zero" : "not all zero");
}

const struct zcb_workload_ops zcb_wl_read = {
    .prepare = read_prepare,
    .passes = read_passes,
    .verify = read_verify,
    .release = no_release,
    .opens_own_backend = true, /* the reference kernel is no backend */
};
