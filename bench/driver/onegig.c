/* onegig, op compare: the seed letter's 1 GB run, COMPARE of the buffer with
 * a zero buffer of the same size page by page (memcmp on CPU backends). A
 * page compares equal exactly when it is zero, so the oracle applies as is.
 * (op compval of onegig is the zerocheck pass.) */
#include <errno.h>

#include "dsa/error.h"
#include "workload.h"

static int compare_prepare(struct zcb_bench *b)
{
    struct zcb_fill zero = b->buf->fill;
    zero.zero_ratio = 1.0;
    const struct zcb_buffer *partner = zcb_buffer_get(ZCB_SLOT_PARTNER, &zero);
    if (!partner)
        return -ENOMEM;
    b->priv = (void *)partner;
    return 0;
}

static int compare_before_sample(struct zcb_bench *b)
{
    const struct zcb_buffer *partner = b->priv;
    zcb_cold_flush(b);
    if (b->c->cache == ZCB_CACHE_COLD)
        zcb_flush(partner->data, partner->fill.len);
    return 0;
}

static int compare_passes(struct zcb_bench *b, unsigned n, struct zcb_sample *out)
{
    (void)out;
    const struct zcb_buffer *partner = b->priv;
    const struct zcb_fill *f = &b->buf->fill;
    int rc = 0;
    for (unsigned i = 0; i < n && !rc; i++)
        rc = zc_backend_compare(b->be, b->buf->data, partner->data, f->len, f->gran, b->answer);
    return rc ? zc_fail(-rc, "%s: compare failed: %s", b->c->backend, zc_last_error()) : 0;
}

static void compare_release(struct zcb_bench *b) { b->priv = NULL; }

const struct zcb_workload_ops zcb_wl_compare = {
    .prepare = compare_prepare,
    .before_sample = compare_before_sample,
    .passes = compare_passes,
    .verify = zcb_verify_answers,
    .release = compare_release,
};
