#include "cases.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zc/backend.h>

#include "dsa/error.h"
#include "dsa/grow.h"
#include "dsa/spec.h"
#include "backend_axes.h"
#include "buffers.h"
#include "dsa_targets.h"
#include "placement.h"
#include "qemu_workload.h"
#include "sink.h"

static const uint64_t zerocheck_sizes[] = {4096, 65536, 1 << 20, 16 << 20};
static const uint64_t onegig_size = 1ull << 30;

uint64_t zcb_mem_available(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (f) {
        char line[256];
        unsigned long long kb;
        while (fgets(line, sizeof line, f))
            if (sscanf(line, "MemAvailable: %llu kB", &kb) == 1) {
                fclose(f);
                return (uint64_t)kb * 1024;
            }
        fclose(f);
    }
    long pages = sysconf(_SC_AVPHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
}

uint64_t zcb_case_buffer_bytes(const struct zcb_case *c)
{
    /* compare: the buffer and a zero buffer to compare it with; QEMU: the
     * buffer and the guest RAM file (in /dev/shm, memory too) it fills. */
    return c->op == ZCB_OP_COMPARE || zcb_qemu_spec(c->backend) ? 2 * c->buf_bytes : c->buf_bytes;
}

void zcb_case_key(const struct zcb_case *c, const char *backend, char *buf, size_t len)
{
    char ratio[32];
    zcb_format_ratio(c->zero_ratio, ratio, sizeof ratio);
    snprintf(buf, len, "%s/%s/%s/%" PRIu64 "/%" PRIu64 "/%s/%s%s", zcb_workload_names[c->workload],
             zcb_op_names[c->op], backend ? backend : c->backend, c->buf_bytes, c->gran, ratio,
             zcb_cache_names[c->cache], c->backing == ZCB_BACKING_SHM ? "/shm" : "");
}

static int push(struct zcb_case_list *l, const struct zcb_case *c)
{
    if (l->n == ZCB_CASES_MAX)
        return zc_fail(E2BIG, "sweep %s: more than %d cases (allowed: at most %d in one run, "
                              "all sweeps together; shorten the lists)",
                       c->sweep, ZCB_CASES_MAX, ZCB_CASES_MAX);
    struct zcb_case *v = zc_grow(l->v, &l->cap, l->n, sizeof *l->v, 64);
    if (!v)
        return zc_fail(ENOMEM, "out of memory expanding cases");
    l->v = v;
    l->v[l->n] = *c;
    l->v[l->n].index = (unsigned)l->n;
    l->n++;
    return 0;
}

/* Opens and closes each spec once, so a bad spec stops the run before any
 * row is written (the message is the backend's own); `canonical` gets the
 * spec the rows will name. */
static int check_backend(const char *spec, char *canonical, size_t len)
{
    struct zc_backend *be;
    int rc = zc_backend_open(spec, &be);
    if (rc) {
        char why[512];
        snprintf(why, sizeof why, "%s", zc_last_error());
        return zc_fail(-rc, "--backend %s: %s (see --list-backends)", spec, why);
    }
    snprintf(canonical, len, "%s", zc_backend_describe(be)->spec);
    zc_backend_close(be);
    return 0;
}

/* Specs written differently may be one backend here (cpu:best is the host's
 * best variant, a key left at its default, an axis setting two specs' batch
 * alike): the rows would be identical, so the later spec is dropped, and
 * said, rather than measured again. */
static size_t drop_repeats(const char *sweep, struct zcb_choice_list *l, char (*canonical)[ZC_BACKEND_SPEC_MAX])
{
    size_t kept = 0;
    for (size_t i = 0; i < l->n; i++) {
        size_t j = 0;
        while (j < kept && (strcmp(canonical[j], canonical[i]) != 0 || strcmp(l->v[j].target, l->v[i].target) != 0))
            j++;
        if (j < kept) {
            fprintf(stderr, "zcbench: sweep %s: --backend %s runs as %s here, as --backend %s does: measured once\n",
                    sweep, l->v[i].spec, canonical[i], l->v[j].spec);
            if (strcmp(l->v[i].target, zcb_target_names[ZCB_TARGET_HW]) == 0)
                zcb_dsa_targets_forget(sweep, l->v[i].spec);
            continue;
        }
        memmove(canonical[kept], canonical[i], sizeof canonical[i]);
        l->v[kept++] = l->v[i];
    }
    return kept;
}

/* The backends of a sweep: `all` expanded into every usable kind's example,
 * the backend axes applied, wq=auto turned into the --dsa-targets, each
 * spec opened once to validate it, one spec kept per backend. */
static int resolve_backends(const struct zcb_options *o, const char *sweep,
                            struct zcb_choice_list *out)
{
    struct zcb_spec_list given = {0};
    int rc = 0;
    for (size_t i = 0; !rc && i < o->backends.n; i++) {
        if (strcmp(o->backends.v[i], "all") != 0) {
            rc = zcb_backend_axes_expand(o, o->backends.v[i], &given);
            continue;
        }
        for (size_t k = 0; !rc && k < zc_backend_kind_count(); k++) {
            const struct zc_backend_kind *kind = zc_backend_kind_at(k);
            const char *why;
            if (zc_backend_kind_usable(kind, &why))
                rc = zcb_backend_axes_expand(o, kind->example, &given);
        }
    }
    int node = rc ? -1 : zcb_cpu_node(o->cpu);
    for (size_t i = 0; !rc && i < given.n; i++)
        rc = zcb_dsa_targets_expand(o, sweep, given.v[i], node, out);
    zcb_spec_list_free(&given);
    char (*canonical)[ZC_BACKEND_SPEC_MAX] = rc || !out->n ? NULL : calloc(out->n, sizeof *canonical);
    if (!rc && out->n && !canonical)
        rc = zc_fail(ENOMEM, "out of memory resolving backends");
    size_t kept = 0;
    for (size_t i = 0; !rc && i < out->n; i++) {
        const char *spec = out->v[i].spec;
        if (zcb_qemu_spec(spec)) {
            rc = zcb_qemu_check_spec(spec, o->workload);
            snprintf(canonical[kept], sizeof canonical[kept], "%s", spec);
        } else {
            rc = check_backend(spec, canonical[kept], sizeof canonical[kept]);
        }
        if (rc && strcmp(out->v[i].target, zcb_target_names[ZCB_TARGET_HW]) == 0) {
            /* The host's WQ refuses this spec (e.g. BATCH without the portal):
             * said, and the sweep goes on with the spec's other targets. */
            fprintf(stderr, "zcbench: sweep %s: hw target dropped: %s\n", sweep, zc_last_error());
            zcb_dsa_targets_forget(sweep, spec);
            rc = 0;
            continue;
        }
        out->v[kept++] = out->v[i];
    }
    out->n = kept;
    if (!rc)
        out->n = drop_repeats(sweep, out, canonical);
    free(canonical);
    return rc;
}

static int check_sink(const char *sink, int workload)
{
    struct zcb_sink_spec sp;
    int rc = zcb_sink_parse(sink, &sp);
    if (!rc && sp.kind == ZCB_SINK_FILE && workload == ZCB_WL_MIGRATE)
        return zc_fail(EINVAL, "--sink %s: migrate senders send to null or mem (file: is for savevm)", sink);
    return rc;
}

/* A file sink is checked before any work: whether its path may be written,
 * and whether one pass fits on its file system (each pass truncates the file,
 * so the passes and repetitions of a case need no more). */
static int check_sink_room(const struct zcb_case *c)
{
    uint64_t pages = c->buf_bytes / c->gran;
    uint64_t bytes = zcb_sink_file_bytes(pages, zcb_nonzero_pages(pages, c->zero_ratio), c->gran);
    return zcb_sink_preflight(c->sink, bytes);
}

static int check_geometry(uint64_t size, uint64_t gran, const char *size_opt)
{
    char s[32], g[32];
    zc_format_size(size, s, sizeof s);
    zc_format_size(gran, g, sizeof g);
    if (gran % 8)
        return zc_fail(EINVAL, "--gran %s: not a multiple of 8 (allowed: 8, 64, 4K, 2M, ...)", g);
    if (gran > size)
        return zc_fail(EINVAL, "--gran %s: larger than %s %s (allowed: at most the size)", g, size_opt, s);
    if (size % gran)
        return zc_fail(EINVAL, "%s %s: not a multiple of --gran %s (allowed: whole pages)", size_opt, s, g);
    return 0;
}

static int check_memory(const struct zcb_case *c, const char *size_opt)
{
    uint64_t need = zcb_case_buffer_bytes(c), avail = zcb_mem_available();
    if (need <= avail)
        return 0;
    char s[32];
    zc_format_size(c->buf_bytes, s, sizeof s);
    return zc_fail(ENOMEM, "%s %s: needs %.1f GiB of buffers but only %.1f GiB is available "
                           "(MemAvailable); allowed: sizes that fit in memory",
                   size_opt, s, (double)need / (1 << 30), (double)avail / (1 << 30));
}

struct axes {
    const struct zcb_options *o;
    const char *sweep;
    const uint64_t *sizes;
    size_t n_sizes;
    const char *size_opt;
    struct zcb_choice_list backends;
};

static void base_case(const struct axes *ax, struct zcb_case *c)
{
    const struct zcb_options *o = ax->o;
    memset(c, 0, sizeof *c);
    snprintf(c->sweep, sizeof c->sweep, "%s", ax->sweep);
    c->workload = o->workload;
    c->nonzero_at = o->nonzero_at;
    c->reps = o->reps;
    c->min_time = o->min_time;
    snprintf(c->sink, sizeof c->sink, "%s", o->sink);
    snprintf(c->qemu, sizeof c->qemu, "%s", o->qemu);
    if (o->qemu_image[0])
        snprintf(c->qemu_image, sizeof c->qemu_image, "%s", o->qemu_image);
    else
        zcb_qemu_default_image(o->output, c->qemu_image, sizeof c->qemu_image);
    c->senders = o->senders;
    c->packet = o->packet;
    c->cpu = o->cpu;
    snprintf(c->numa, sizeof c->numa, "%s", o->numa);
    c->backing = o->backing;
    c->seed = o->seed;
}

/* One (size, gran, zero ratio, cache) point: the reference row, then every
 * op x backend. */
static int expand_point(const struct axes *ax, struct zcb_case *c, struct zcb_case_list *out)
{
    const struct zcb_options *o = ax->o;
    int rc = 0;
    bool with_ref = o->ref && (o->workload == ZCB_WL_ZEROCHECK || o->workload == ZCB_WL_ONEGIG);
    if (with_ref) {
        c->op = ZCB_OP_READ;
        snprintf(c->backend, sizeof c->backend, "%s", ZCB_REF_BACKEND);
        snprintf(c->target, sizeof c->target, "-");
        rc = check_memory(c, ax->size_opt);
        if (!rc)
            rc = push(out, c);
    }
    size_t n_ops = 1;
    if (o->workload == ZCB_WL_ONEGIG)
        n_ops = o->ops.n;
    for (size_t p = 0; !rc && p < n_ops; p++) {
        switch (o->workload) {
        case ZCB_WL_ZEROCHECK: c->op = ZCB_OP_COMPVAL; break;
        case ZCB_WL_ONEGIG: c->op = (int)o->ops.v[p]; break;
        case ZCB_WL_SAVEVM: c->op = ZCB_OP_SAVEVM; break;
        default: c->op = ZCB_OP_MIGRATE; break;
        }
        for (size_t b = 0; !rc && b < ax->backends.n; b++) {
            snprintf(c->backend, sizeof c->backend, "%s", ax->backends.v[b].spec);
            snprintf(c->target, sizeof c->target, "%s", ax->backends.v[b].target);
            /* QEMU saves into its own qcow2, never into --sink; its guest RAM
             * is a file on /dev/shm whatever --backing says. */
            bool qemu = zcb_qemu_spec(c->backend);
            c->backing = qemu ? ZCB_BACKING_SHM : o->backing;
            rc = check_memory(c, ax->size_opt);
            if (!rc && c->backing == ZCB_BACKING_SHM)
                rc = zcb_shm_preflight(zcb_case_buffer_bytes(c));
            if (!rc && qemu)
                rc = zcb_qemu_check_case(c);
            else if (!rc && (c->op == ZCB_OP_SAVEVM || c->op == ZCB_OP_MIGRATE))
                rc = check_sink_room(c);
            if (!rc)
                rc = push(out, c);
        }
    }
    return rc;
}

static int expand_points(const struct axes *ax, bool guest, struct zcb_case_list *out);

/* Whether a list was set where it meant this sweep: in its own section, or
 * on a command line without --config (the file's defaults and a command
 * line over --config serve every section, each taking what it has). */
static bool set_for_this_sweep(const struct zcb_options *o, unsigned scope)
{
    return scope == ZCB_SCOPE_SECTION || (scope == ZCB_SCOPE_CLI && !o->config[0]);
}

/* An axis the workload does not have ran the workload's own instead, unsaid:
 * refused naming what the workload sizes itself by (`instead`, `by`). */
static int unused_axis(const struct zcb_options *o, const char *sweep, const char *axis, const char *instead,
                       const char *by, const char *takes)
{
    const char *dash = o->config[0] ? "" : "--";
    char what[96], why[64] = "";
    if (o->config[0])
        snprintf(what, sizeof what, "sweep %s: %s is", sweep, axis);
    else
        snprintf(what, sizeof what, "--%s:", axis);
    if (instead)
        snprintf(why, sizeof why, "%s %s%s; ", instead, dash, by);
    return zc_fail(EINVAL, "%s not used by workload %s (%sallowed: %s%s with %s)", what,
                   zcb_workload_names[o->workload], why, dash, axis, takes);
}

static int check_axes_used(const struct zcb_options *o, const char *sweep, bool guest)
{
    if (guest && set_for_this_sweep(o, o->sizes.scope))
        return unused_axis(o, sweep, "size", "its guest memory is", "mem", "zerocheck and onegig");
    if (!guest && set_for_this_sweep(o, o->mems.scope))
        return unused_axis(o, sweep, "mem", "its buffers are", "size", "savevm and migrate");
    if (o->workload != ZCB_WL_ONEGIG && set_for_this_sweep(o, o->ops.scope))
        return unused_axis(o, sweep, "op", NULL, NULL, "onegig");
    return 0;
}

int zcb_cases_expand(const struct zcb_options *o, const char *sweep_name, struct zcb_case_list *out)
{
    struct axes ax = {.o = o, .sweep = sweep_name};
    bool guest = o->workload == ZCB_WL_SAVEVM || o->workload == ZCB_WL_MIGRATE;
    if (guest) {
        ax.sizes = o->mems.v, ax.n_sizes = o->mems.n, ax.size_opt = "--mem";
    } else if (o->sizes.n) {
        ax.sizes = o->sizes.v, ax.n_sizes = o->sizes.n, ax.size_opt = "--size";
    } else if (o->workload == ZCB_WL_ONEGIG) {
        ax.sizes = &onegig_size, ax.n_sizes = 1, ax.size_opt = "--size";
    } else {
        ax.sizes = zerocheck_sizes, ax.n_sizes = 4, ax.size_opt = "--size";
    }
    int rc = check_axes_used(o, sweep_name, guest);
    if (!rc)
        rc = check_sink(o->sink, o->workload);
    if (!rc)
        rc = zcb_numa_check(o->numa);
    if (!rc && o->backing == ZCB_BACKING_SHM && strcmp(o->numa, "any") != 0)
        rc = zc_fail(EINVAL, "--numa %s with --backing shm (allowed: --numa any; the kernel places a "
                             "/dev/shm file's pages, as it does QEMU's guest RAM)", o->numa);
    if (!rc)
        rc = zcb_cpu_check(o->cpu);
    if (!rc)
        rc = resolve_backends(o, sweep_name, &ax.backends);
    if (rc) {
        zcb_choice_list_free(&ax.backends);
        return rc;
    }
    if (!ax.backends.n && !(o->ref && !guest))
        rc = zc_fail(EINVAL, "--backend: no usable backend (see --list-backends)");
    if (!rc)
        rc = expand_points(&ax, guest, out);
    zcb_choice_list_free(&ax.backends);
    return rc;
}

static int expand_points(const struct axes *ax, bool guest, struct zcb_case_list *out)
{
    const struct zcb_options *o = ax->o;
    int rc;
    for (size_t s = 0; s < ax->n_sizes; s++)
        for (size_t g = 0; g < o->grans.n; g++) {
            rc = check_geometry(ax->sizes[s], o->grans.v[g], ax->size_opt);
            if (rc)
                return rc;
            for (size_t z = 0; z < o->zero_ratios.n; z++)
                for (size_t k = 0; k < o->caches.n; k++) {
                    struct zcb_case c;
                    base_case(ax, &c);
                    c.buf_bytes = ax->sizes[s];
                    c.mem_bytes = guest ? ax->sizes[s] : 0;
                    c.gran = o->grans.v[g];
                    c.zero_ratio = o->zero_ratios.v[z];
                    c.cache = (int)o->caches.v[k];
                    rc = expand_point(ax, &c, out);
                    if (rc)
                        return rc;
                }
        }
    return 0;
}

void zcb_cases_free(struct zcb_case_list *l)
{
    free(l->v);
    memset(l, 0, sizeof *l);
}

void zcb_cases_print(const struct zcb_case_list *l, FILE *out)
{
    fprintf(out, "# %zu cases: index sweep workload/op/backend/buf_bytes/gran_bytes/zero_ratio/cache "
                 "reps nonzero_at numa cpu target [sink senders packet qemu image]\n", l->n);
    for (size_t i = 0; i < l->n; i++) {
        const struct zcb_case *c = &l->v[i];
        char key[ZCB_CASE_KEY_MAX];
        zcb_case_key(c, NULL, key, sizeof key);
        fprintf(out, "%zu %s %s reps=%u nonzero_at=%s numa=%s cpu=%d target=%s", i, c->sweep, key,
                c->reps, zcb_nonzero_names[c->nonzero_at], c->numa, c->cpu, c->target);
        if (c->op == ZCB_OP_SAVEVM || c->op == ZCB_OP_MIGRATE)
            fprintf(out, " sink=%s", c->sink);
        if (c->op == ZCB_OP_MIGRATE)
            fprintf(out, " senders=%u packet=%u", c->senders, c->packet);
        if (zcb_qemu_spec(c->backend))
            fprintf(out, " qemu=%s%s%s", c->qemu, c->op == ZCB_OP_SAVEVM ? " image=" : "",
                    c->op == ZCB_OP_SAVEVM ? c->qemu_image : "");
        fputc('\n', out);
    }
}
