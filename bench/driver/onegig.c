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

static int compare_pass(struct zcb_bench *b, struct zcb_sample *out)
{
    const struct zcb_buffer *partner = b->priv;
    const struct zcb_fill *f = &b->buf->fill;
    struct zcb_timer t;
    zcb_cold_flush(b);
    if (b->c->cache == ZCB_CACHE_COLD)
        zcb_flush(partner->data, f->len);
    zcb_timer_start(&t);
    int rc = zc_backend_compare(b->be, b->buf->data, partner->data, f->len, f->gran, b->answer);
    zcb_timer_stop(&t, out);
    return rc ? zc_fail(-rc, "%s: compare failed: %s", b->c->backend, zc_last_error()) : 0;
}

static void compare_release(struct zcb_bench *b) { b->priv = NULL; }

const struct zcb_workload_ops zcb_wl_compare = {
    .prepare = compare_prepare,
    .pass = compare_pass,
    .verify = zcb_verify_answers,
    .release = compare_release,
};
