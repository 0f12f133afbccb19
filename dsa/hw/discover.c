/* Hardware DSA discovery through the kernel table (libaccel-config on
 * Linux), the automatic choice of a WQ, the device's capabilities, and the
 * diagnosis that turns "it does not work" into the command that fixes it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dsa/error.h"
#include "dsa/grow.h"
#include "dsa/hw/internal.h"

/* Every WQ of every DSA device, as enumeration saw it. */
struct wq_list {
    struct zc_dsa_kwq *v;
    size_t n, cap;
    int devices;
    char no_pasid[32]; /* the first device without PASID support for user space */
    bool oom;
};

/* pasid_enabled reads 0: the device does not translate user addresses
 * (no IOMMU, passthrough, or not scalable mode). Absent: not known. */
static bool lacks_pasid(const char *device)
{
    char text[16];
    return zc_dsa_kernel()->read_attr(device, "pasid_enabled", text, sizeof text) == 0 &&
           strcmp(text, "0") == 0;
}

#define PASID_FIX "turn VT-d on in the BIOS and boot with intel_iommu=on,sm_on"

static void collect(const struct zc_dsa_kdev *dev, const struct zc_dsa_kwq *wq, void *ctx)
{
    struct wq_list *l = ctx;
    if (!wq) {
        l->devices++;
        if (!l->no_pasid[0] && lacks_pasid(dev->name))
            snprintf(l->no_pasid, sizeof l->no_pasid, "%s", dev->name);
        return;
    }
    struct zc_dsa_kwq *v = zc_grow(l->v, &l->cap, l->n, sizeof *v, 16);
    if (!v) {
        l->oom = true;
        return;
    }
    l->v = v;
    l->v[l->n++] = *wq;
}

/* The scan for explain() when enumeration itself failed. */
static int enumeration_failed(int rc, const char *want)
{
    if (rc != -ENODEV)
        return rc; /* its own message stands */
    struct zc_dsa_hw_scan none = {.cpu_lacks_movdir64b = !zc_dsa_kernel()->cpu_has(ZC_CPU_MOVDIR64B)};
    return zc_dsa_hw_explain(want, &none);
}

static int list_wqs(struct wq_list *l, const char *want)
{
    memset(l, 0, sizeof *l);
    int rc = zc_dsa_kernel()->enumerate(collect, l);
    if (rc >= 0 && l->oom)
        rc = zc_fail(ENOMEM, "out of memory listing DSA work queues");
    if (rc < 0) {
        free(l->v);
        return enumeration_failed(rc, want);
    }
    return 0;
}

struct visit {
    zc_dsa_wq_visit_fn fn;
    void *ctx;
    int count;
};

static void visit_enabled(const struct zc_dsa_kdev *dev, const struct zc_dsa_kwq *wq, void *ctx)
{
    struct visit *v = ctx;
    if (!wq || !dev->enabled || !wq->enabled)
        return;
    if (v->fn)
        v->fn(&wq->info, wq->type, wq->state, v->ctx);
    v->count++;
}

int zc_dsa_discover(zc_dsa_wq_visit_fn fn, void *ctx)
{
    struct visit v = {fn, ctx, 0};
    int rc = zc_dsa_kernel()->enumerate(visit_enabled, &v);
    return rc < 0 ? enumeration_failed(rc, NULL) : v.count;
}

int zc_dsa_hw_explain(const char *want, const struct zc_dsa_hw_scan *s)
{
    /* Linux 6.1 and later enable no user WQ on a device without PASID. */
    char pasid[160] = "";
    if (s->no_pasid[0])
        snprintf(pasid, sizeof pasid, " (%s has pasid_enabled=0: user WQs need shared virtual "
                 "addressing; " PASID_FIX ")", s->no_pasid);
    if (!s->driver)
        return zc_fail(ENODEV, "idxd module not loaded (no /sys/bus/dsa): run 'modprobe idxd' "
                               "(needs a Xeon with DSA, VT-d on and intel_iommu=on,sm_on)%s",
                       s->cpu_lacks_movdir64b ? "; note: this CPU also lacks MOVDIR64B, so no DSA "
                                                "is reachable from it" : "");
    if (s->devices == 0)
        return zc_fail(ENODEV, "no DSA device found (idxd is loaded but /sys/bus/dsa/devices has "
                               "no dsaN): check that DSA is enabled in the BIOS and the kernel "
                               "booted with intel_iommu=on,sm_on");
    if (want && !s->named_seen)
        return zc_fail(ENODEV, "no WQ named %s on this host: list them with 'accel-config list', "
                               "or configure one: %s", want, ZC_DSA_LOAD_CONFIG_HINT);
    if (want && !s->named_enabled)
        return zc_fail(ENODEV, "%s is not enabled%s: enable it with %s", want, pasid,
                       ZC_DSA_LOAD_CONFIG_HINT);
    if (want && !s->named_user)
        return zc_fail(EINVAL, "%s is a kernel-type WQ (owned by the kernel's dmaengine driver), "
                               "not a user WQ: reconfigure its device with %s", want,
                       ZC_DSA_LOAD_CONFIG_HINT);
    return zc_fail(ENODEV, "no enabled user WQ on %d DSA device(s)%s%s: configure one with %s",
                   s->devices, s->kernel_wqs ? " (only kernel-type WQs are enabled)" : "", pasid,
                   ZC_DSA_LOAD_CONFIG_HINT);
}

static struct zc_dsa_hw_scan scan_of(const struct wq_list *l, const char *want)
{
    struct zc_dsa_hw_scan s = {.driver = true, .devices = l->devices};
    memcpy(s.no_pasid, l->no_pasid, sizeof s.no_pasid);
    for (size_t i = 0; i < l->n; i++) {
        const struct zc_dsa_kwq *w = &l->v[i];
        bool named = want && strcmp(w->info.name, want) == 0;
        s.named_seen |= named;
        s.named_enabled |= named && w->enabled;
        s.named_user |= named && w->user;
        s.kernel_wqs += w->enabled && !w->user;
        if (named) /* its own device explains it, not the first without PASID */
            snprintf(s.no_pasid, sizeof s.no_pasid, "%s", lacks_pasid(w->info.device) ? w->info.device : "");
    }
    return s;
}

int zc_dsa_hw_find(const char *want, struct zc_dsa_kwq *out)
{
    struct wq_list l;
    int rc = list_wqs(&l, want);
    if (rc)
        return rc;
    rc = -ENODEV;
    for (size_t i = 0; i < l.n && rc; i++)
        if (strcmp(l.v[i].info.name, want) == 0 && l.v[i].enabled && l.v[i].user) {
            *out = l.v[i];
            rc = 0;
        }
    if (rc) {
        struct zc_dsa_hw_scan s = scan_of(&l, want);
        rc = zc_dsa_hw_explain(want, &s);
    }
    free(l.v);
    return rc;
}

/* --- the automatic choice ------------------------------------------------ */

struct ranked {
    const struct zc_dsa_kwq *w;
    int node_miss; /* 0: on the wanted node (or any wanted) */
    int class;     /* 0 dedicated and free, 1 shared, 2 already ours, 3 dedicated held elsewhere */
    unsigned dev, q;
};

static int class_of(const struct zc_dsa_kwq *w)
{
    if (zc_dsa_hw_in_use(w->info.name))
        return 2;
    if (w->info.mode == ZC_DSA_SHARED)
        return 1;
    return w->clients > 0 ? 3 : 0;
}

static int by_rank(const void *pa, const void *pb)
{
    const struct ranked *a = pa, *b = pb;
    int c[] = {a->node_miss - b->node_miss, a->class - b->class,
               a->w->clients - b->w->clients,
               (int)b->w->info.size - (int)a->w->info.size, (int)a->dev - (int)b->dev,
               (int)a->q - (int)b->q};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
        if (c[i])
            return c[i];
    return 0;
}

static const char *const class_why[] = {
    "a dedicated WQ nobody has open (all its entries for this run)",
    "a shared WQ (no free dedicated WQ)",
    "already used by this process (no other usable WQ: shared with it)",
    "a dedicated WQ another process holds (nothing else left)",
};

static bool excluded(const char *name, const char *const *exclude, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (exclude[i] && strcmp(exclude[i], name) == 0)
            return true;
    return false;
}

/* Whether the process can open the WQ now (a dedicated WQ another process
 * holds is -EBUSY); reasons appended to skipped. */
static bool openable(const struct ranked *r, char *skipped, size_t len)
{
    if (r->class == 2)
        return true; /* shared with our own open file */
    const struct zc_dsa_kernel *k = zc_dsa_kernel();
    int fd = k->open(r->w->path);
    if (fd >= 0) {
        k->close(fd);
        return true;
    }
    size_t used = strlen(skipped);
    snprintf(skipped + used, len - used, "%s%s: %s", used ? "; " : "", r->w->info.name,
             fd == -EBUSY ? "dedicated, open in another process (EBUSY)" : strerror(-fd));
    return false;
}

static void describe_choice(const struct ranked *r, int node, const char *skipped, char *why,
                            size_t len)
{
    const struct zc_dsa_wq_info *i = &r->w->info;
    char where[96];
    if (node < 0)
        snprintf(where, sizeof where, "NUMA node %d", i->numa_node);
    else if (!r->node_miss)
        snprintf(where, sizeof where, "NUMA node %d, the measuring thread's", i->numa_node);
    else
        snprintf(where, sizeof where, "NUMA node %d (none usable on the measuring thread's node %d)",
                 i->numa_node, node);
    snprintf(why, len, "%s (%s, %s, %u entries, %u engines) on %s: %s%s%s", i->name, i->device,
             i->mode == ZC_DSA_SHARED ? "shared" : "dedicated", i->size, i->engines, where,
             class_why[r->class], *skipped ? "; skipped: " : "", skipped);
}

int zc_dsa_auto_choose(int node, const char *const *exclude, size_t n_exclude,
                       struct zc_dsa_wq_info *out, char *why, size_t why_len)
{
    struct wq_list l;
    int rc = list_wqs(&l, NULL);
    if (rc)
        return rc;
    struct ranked *r = calloc(l.n ? l.n : 1, sizeof *r);
    if (!r) {
        free(l.v);
        return zc_fail(ENOMEM, "out of memory choosing a DSA WQ");
    }
    size_t n = 0, n_excluded = 0;
    for (size_t i = 0; i < l.n; i++) {
        const struct zc_dsa_kwq *w = &l.v[i];
        if (!w->enabled || !w->user)
            continue;
        if (excluded(w->info.name, exclude, n_exclude)) {
            n_excluded++;
            continue;
        }
        unsigned d = 0, q = 0;
        sscanf(w->info.name, "wq%u.%u", &d, &q);
        r[n++] = (struct ranked){w, node >= 0 && w->info.numa_node != node, class_of(w), d, q};
    }
    qsort(r, n, sizeof *r, by_rank);
    char skipped[512] = "";
    rc = -ENODEV;
    for (size_t i = 0; i < n && rc; i++) {
        if (!openable(&r[i], skipped, sizeof skipped))
            continue;
        *out = r[i].w->info;
        if (why)
            describe_choice(&r[i], node, skipped, why, why_len);
        rc = 0;
    }
    if (rc && *skipped)
        rc = zc_fail(EBUSY, "auto: no user WQ this process can open (%s)", skipped);
    else if (rc && n_excluded)
        rc = zc_fail(ENODEV, "auto: no other usable user WQ (%zu already chosen for this spec); "
                             "configure more WQs: %s", n_excluded, ZC_DSA_LOAD_CONFIG_HINT);
    else if (rc) {
        struct zc_dsa_hw_scan s = scan_of(&l, NULL);
        rc = zc_dsa_hw_explain(NULL, &s);
    }
    free(r);
    free(l.v);
    return rc;
}

/* --- capabilities ------------------------------------------------------ */

/* Bits 0..31 of a 256-bit sysfs attribute; -ENOENT when the kernel has none. */
static int read_ops(const char *obj, const char *attr, uint32_t *ops)
{
    char text[160];
    uint32_t words[8];
    int rc = zc_dsa_kernel()->read_attr(obj, attr, text, sizeof text);
    if (rc)
        return rc;
    if (zc_dsa_bitmap_parse(text, words) != 0)
        return zc_fail(EIO, "%s/%s: unexpected '%s' (expected 8 comma-separated 32-bit hex words, or "
                               "up to 4 space-separated 64-bit ones as kernels before 6.1 print)", obj,
                       attr, text);
    *ops = words[0];
    return 0;
}

int zc_dsa_hw_read_caps(const struct zc_dsa_kwq *wq, struct zc_dsa_hw_caps *out)
{
    const struct zc_dsa_kernel *k = zc_dsa_kernel();
    const char *dev = wq->info.device;
    char text[64];
    memset(out, 0, sizeof *out);
    if (k->read_attr(dev, "version", text, sizeof text) == 0)
        out->version = (unsigned)strtoul(text, NULL, 0);
    if (out->version >> 8 > 2) /* as DML: the layout of later versions is not known here */
        return zc_fail(ENOTSUP, "%s: device %s is DSA version %#x; zcbench knows DSA 1.x and 2.x "
                                "descriptors only", wq->info.name, dev, out->version);
    /* Kernels before 6.1 enable user WQs even then: the device would take
     * this process's addresses as physical or I/O addresses. */
    if (lacks_pasid(dev))
        return zc_fail(ENOTSUP, "%s: device %s has pasid_enabled=0: it does not translate this "
                                "process's addresses (no shared virtual addressing): " PASID_FIX,
                       wq->info.name, dev);
    if (k->read_attr(dev, "gen_cap", text, sizeof text) == 0)
        out->device_bof = strtoull(text, NULL, 0) & 1;
    int rc = read_ops(dev, "op_cap", &out->ops);
    if (rc == -ENOENT)
        out->ops = UINT32_MAX; /* a kernel without op_cap: nothing to check against */
    else if (rc)
        return rc;
    uint32_t wq_ops = 0;
    rc = read_ops(wq->info.name, "op_config", &wq_ops); /* 6.3+: what this WQ accepts */
    if (rc == 0)
        out->ops &= wq_ops;
    else if (rc != -ENOENT)
        return rc;
    return 0;
}
