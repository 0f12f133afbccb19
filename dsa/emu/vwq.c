/* The projection's work queue (emu:clock=virtual): a submitted descriptor
 * is executed at once in the submitting thread, exactly as the wall-clock
 * model executes it, and its records are held back until the submitter's
 * simulated time reaches the time the device simulation gives them
 * (dsa/emu/vsim.h, dsa/emu/vtime.h). The submitting core's portal cost is
 * its profile's ENQCMD (shared WQ) or MOVDIR64B (dedicated WQ) time. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "dsa/emu/internal.h"
#include "dsa/emu/vtime.h"
#include "dsa/error.h"
#include "dsa/grow.h"

/* Devices named with dev=NAME, shared by the WQs that name them. */
struct named_dev {
    struct named_dev *next;
    char name[32];
    unsigned engines;
    struct zc_emu_profile prof;
    struct zc_vsim_dev *dev;
    unsigned wqs;
};
static struct named_dev *named; /* guarded by vt_lock */

struct vwq {
    struct zc_emu_cfg cfg;
    struct vthread *opener;
    struct zc_dsa_wq *wq;
    struct zc_vsim_dev *dev;  /* a private device, or a named one's */
    struct named_dev *shared; /* NULL: private */
    struct zc_vsim_wq *sim;
};

/* What the executor reported for one submission, in order. */
struct report {
    struct zc_emu_work work;
    struct dsa_completion_record *where;
    struct dsa_completion_record rec;
};

struct collect {
    struct zc_emu_sink sink; /* first */
    struct report *r;
    size_t n, cap;
    bool oom;
};

static void own_scratch(void);

static void collect_done(struct zc_emu_sink *s, const struct dsa_hw_desc *d,
                         struct dsa_completion_record *where, const struct dsa_completion_record *rec)
{
    struct collect *c = (struct collect *)s;
    if (!c->cap)
        own_scratch();
    struct report *r = zc_grow(c->r, &c->cap, c->n, sizeof *r, 64);
    if (!r) {
        c->oom = true;
        return;
    }
    c->r = r;
    c->r[c->n++] = (struct report){zc_emu_work_of(d, rec), where, where ? *rec : (struct dsa_completion_record){0}};
}

/* Inline: the simulation orders a DRAIN after the earlier descriptors. */
static void collect_drain(struct zc_emu_sink *s) { (void)s; }

static _Thread_local struct collect scratch = {{collect_done, collect_drain, true}, NULL, 0, 0, false};
static _Thread_local struct zc_vsim_work *members;
static _Thread_local size_t members_cap;

/* A submitting thread's buffers go with it (a key's destructor runs while
 * its thread-locals still exist). */
static pthread_key_t scratch_key;
static pthread_once_t scratch_once = PTHREAD_ONCE_INIT;

static void free_scratch(void *unused)
{
    (void)unused;
    free(scratch.r);
    free(members);
    scratch.r = NULL;
    scratch.cap = 0;
    members = NULL;
    members_cap = 0;
}

static void make_scratch_key(void) { pthread_key_create(&scratch_key, free_scratch); }

static void own_scratch(void)
{
    pthread_once(&scratch_once, make_scratch_key);
    pthread_setspecific(scratch_key, &scratch);
}

/* With the lock: the job of the descriptor just executed. */
static int describe(struct vthread *t, struct vwq *v, struct zc_vsim_job *job, uint8_t opcode)
{
    struct collect *c = &scratch;
    if (c->oom || c->n == 0)
        return zc_fail(ENOMEM, "emu: out of memory recording a descriptor's work");
    if (members_cap < c->n) {
        struct zc_vsim_work *more = realloc(members, c->n * sizeof *more);
        if (!more)
            return zc_fail(ENOMEM, "emu: out of memory recording a descriptor's work");
        members = more;
        members_cap = c->n;
    }
    /* The last report is the submitted descriptor; a BATCH's members come
     * before it. */
    size_t n = 0;
    for (size_t i = 0; i < c->n; i++) {
        struct zc_vsim_rec *rec = NULL;
        if (c->r[i].where && !(rec = vt_record(t, v, c->r[i].where, &c->r[i].rec)))
            return zc_fail(ENOMEM, "emu: out of memory holding a completion record");
        members[n++] = (struct zc_vsim_work){c->r[i].work, rec};
    }
    bool batch = opcode == DSA_OPCODE_BATCH && members[n - 1].work.opcode == DSA_OPCODE_BATCH;
    bool drain = opcode == DSA_OPCODE_DRAIN;
    struct zc_vsim_rec *batch_rec = batch ? members[--n].rec : NULL;
    if (zc_vsim_job_ready(job, members, n, batch, drain, batch_rec) != 0)
        return zc_fail(ENOMEM, "emu: out of memory for a descriptor's work");
    return 0;
}

static int vwq_submit(struct zc_dsa_wq *wq, const struct dsa_hw_desc *desc)
{
    struct vwq *v = wq->impl;
    const struct zc_emu_profile *p = &v->cfg.prof;
    double portal = v->cfg.mode == ZC_DSA_SHARED ? p->enqcmd_ns : p->movdir_ns;
    struct dsa_hw_desc d;
    memcpy(&d, desc, sizeof d); /* the portal write copies 64 bytes */
    struct vthread *t = vt_self_charged();
    vt_lock();
    if (vt_reach(t) != 0) { /* a stall: its message says why */
        vt_unlock();
        vt_mark(t);
        return -EDEADLK;
    }
    bool room = zc_vsim_wq_has_room(v->sim);
    struct zc_vsim_job *job = room ? zc_vsim_arrive(v->sim) : NULL;
    vt_unlock();
    int rc = 0;
    if (job) {
        static _Thread_local struct zc_emu_tlb tlb;
        scratch.n = 0;
        scratch.oom = false;
        struct zc_emu_exec x = {.cfg = &v->cfg, .tlb = &tlb, .wq = v->wq, .sink = &scratch.sink};
        zc_emu_execute(&x, &d);
    }
    vt_lock();
    if (job)
        rc = describe(t, v, job, d.opcode);
    else if (!room)
        rc = v->cfg.mode == ZC_DSA_DEDICATED ? ZC_DSA_SUBMIT_DROPPED : -EAGAIN;
    else
        rc = zc_fail(ENOMEM, "emu: out of memory for a descriptor");
    if (rc < 0 && job) /* a job the device never learns about stays empty */
        zc_vsim_job_ready(job, NULL, 0, true, false, NULL);
    vt_spend(t, portal);
    vt_moved();
    vt_unlock();
    vt_mark(t);
    return rc;
}

/* With the lock: the WQ leaves the simulation, and its device with its last. */
static void leave_device(struct vwq *v)
{
    zc_vsim_wq_free(v->sim);
    if (v->shared && --v->shared->wqs == 0) {
        struct named_dev **link = &named;
        while (*link != v->shared)
            link = &(*link)->next;
        *link = v->shared->next;
        zc_vsim_dev_put(v->shared->dev);
        free(v->shared);
    } else if (!v->shared && v->dev) {
        zc_vsim_dev_put(v->dev);
    }
}

static void vwq_close(struct zc_dsa_wq *wq)
{
    struct vwq *v = wq->impl;
    struct vthread *opener = v->opener;
    /* Its records and the jobs that point at them go in one step: another
     * thread advancing the simulation in between would tell a freed one. */
    vt_lock();
    vt_forget(v);
    leave_device(v);
    vt_unlock();
    free(v);
    vt_wq_closed(opener);
}

/* With the lock: the device the WQ joins (named ones must agree on their
 * layout and timing). */
static int find_device(struct vwq *v)
{
    struct zc_vsim *sim = vt_sim();
    if (!v->cfg.dev[0]) {
        v->dev = zc_vsim_dev_new(sim, &v->cfg.prof, v->cfg.engines);
        return v->dev ? 0 : zc_fail(ENOMEM, "emu: out of memory for a device");
    }
    struct named_dev *nd = named;
    while (nd && strcmp(nd->name, v->cfg.dev) != 0)
        nd = nd->next;
    if (nd && (nd->engines != v->cfg.engines || memcmp(&nd->prof, &v->cfg.prof, sizeof nd->prof)))
        return zc_fail(EINVAL, "emu: dev=%s is open with other engines or timing keys; the WQs of "
                               "one device share them (give them the same keys)", v->cfg.dev);
    if (!nd) {
        nd = calloc(1, sizeof *nd);
        if (nd)
            nd->dev = zc_vsim_dev_new(sim, &v->cfg.prof, v->cfg.engines);
        if (!nd || !nd->dev) {
            free(nd);
            return zc_fail(ENOMEM, "emu: out of memory for a device");
        }
        snprintf(nd->name, sizeof nd->name, "%s", v->cfg.dev);
        nd->engines = v->cfg.engines;
        nd->prof = v->cfg.prof;
        nd->next = named;
        named = nd;
    }
    nd->wqs++;
    v->shared = nd;
    v->dev = nd->dev;
    return 0;
}

static const struct zc_dsa_wq_ops vwq_ops = {
    .name = "emu",
    .submit = vwq_submit,
    .close = vwq_close,
};

int zc_emu_virtual_open(struct zc_dsa_wq *wq, const struct zc_emu_cfg *cfg)
{
    if (cfg->engines == 0)
        return zc_fail(EINVAL, "emu: clock=virtual simulates its engines: engines=0 is not "
                               "allowed (1..16)");
    struct vwq *v = calloc(1, sizeof *v);
    if (!v)
        return zc_fail(ENOMEM, "emu: out of memory for a WQ");
    v->cfg = *cfg;
    v->wq = wq;
    struct vthread *t = vt_self();
    vt_lock();
    int rc = find_device(v);
    if (!rc && !(v->sim = zc_vsim_wq_new(v->dev, cfg->wq_size)))
        rc = zc_fail(ENOMEM, "emu: out of memory for a WQ");
    if (rc)
        leave_device(v);
    vt_unlock();
    if (rc) {
        free(v);
        return rc;
    }
    wq->ops = &vwq_ops;
    wq->impl = v;
    wq->clock = &zc_vt_clock;
    v->opener = t;
    vt_wq_opened(t, cfg->stall_s);
    return 0;
}
