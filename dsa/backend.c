/* <zc/backend.h>: the registration table, spec parsing through each
 * backend's option table, argument validation and page accounting. */
#include <zc/backend.h>

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "dsa/backend_impl.h"
#include "dsa/error.h"
#include "dsa/spec.h"

/* The one registration table: one line per backend. */
#define ZC_BACKENDS(X) \
    X(zc_backend_cpu)        \
    X(zc_backend_cpu_mt)     \
    X(zc_backend_dsa_single) \
    X(zc_backend_dsa_batch)  \
    X(zc_backend_dsa_multi)  \
    X(zc_backend_hybrid)

#define DECLARE(ops) extern const struct zc_backend_ops ops;
ZC_BACKENDS(DECLARE)
#define ENTRY(ops) &ops,
static const struct zc_backend_ops *const backends[] = {ZC_BACKENDS(ENTRY)};
#define N_BACKENDS (sizeof backends / sizeof backends[0])

size_t zc_backend_kind_count(void) { return N_BACKENDS; }

const struct zc_backend_kind *zc_backend_kind_at(size_t i)
{
    return i < N_BACKENDS ? &backends[i]->kind : NULL;
}

static const struct zc_backend_ops *ops_of(const struct zc_backend_kind *k)
{
    for (size_t i = 0; i < N_BACKENDS; i++)
        if (&backends[i]->kind == k)
            return backends[i];
    return NULL;
}

static int unknown_kind(const char *kind)
{
    char allowed[256];
    size_t used = 0;
    allowed[0] = '\0';
    for (size_t i = 0; i < N_BACKENDS && used < sizeof allowed; i++)
        used += (size_t)snprintf(allowed + used, sizeof allowed - used, "%s%s", i ? ", " : "",
                                 backends[i]->kind.name);
    return zc_fail(EINVAL, "unknown backend kind '%s' (allowed: %s)", kind, allowed);
}

static const struct zc_backend_ops *find_kind(const char *name, size_t len)
{
    for (size_t i = 0; i < N_BACKENDS; i++)
        if (strlen(backends[i]->kind.name) == len && strncmp(backends[i]->kind.name, name, len) == 0)
            return backends[i];
    return NULL;
}

/* "cpu:avx2" means "cpu:variant=avx2": a kind with a positional key takes a
 * bare value after the colon. */
static int parse_spec(const char *text, struct zc_spec *spec, const struct zc_backend_ops **ops)
{
    size_t klen = strcspn(text, ":");
    const struct zc_backend_ops *found = find_kind(text, klen);
    if (!found && klen > 0) {
        char kind[64];
        snprintf(kind, sizeof kind, "%.*s", (int)klen, text);
        return unknown_kind(kind);
    }
    char rewritten[ZC_BACKEND_SPEC_MAX];
    if (found && found->positional && text[klen] == ':' && !strchr(text + klen + 1, '=')) {
        snprintf(rewritten, sizeof rewritten, "%s:%s=%s", found->kind.name, found->positional,
                 text + klen + 1);
        text = rewritten;
    }
    int rc = zc_spec_parse(text, spec);
    if (rc == 0)
        *ops = found;
    return rc;
}

static void format_value(const struct zc_opt *o, const void *cfg, char *buf, size_t len)
{
    const char *field = (const char *)cfg + o->offset;
    switch (o->type) {
    case ZC_OPT_UINT: snprintf(buf, len, "%u", *(const unsigned *)field); break;
    case ZC_OPT_U64: snprintf(buf, len, "%" PRIu64, *(const uint64_t *)field); break;
    case ZC_OPT_SIZE: zc_format_size(*(const uint64_t *)field, buf, len); break;
    case ZC_OPT_DOUBLE: snprintf(buf, len, "%g", *(const double *)field); break;
    case ZC_OPT_ENUM: snprintf(buf, len, "%s", o->choices[*(const int *)field]); break;
    case ZC_OPT_STRING:
        /* Braces keep a value's commas out of the spec's own list. */
        snprintf(buf, len, strchr(field, ',') ? "{%s}" : "%s", field);
        break;
    }
}

/* Every key spelled out, in table order ("cpu:avx512" for positional-only
 * kinds). A spec that does not fit is refused: a cut one would name another
 * backend in every row. */
static int canonical_spec(const struct zc_backend_ops *ops, const void *cfg, char *out, size_t len)
{
    size_t used = (size_t)snprintf(out, len, "%s", ops->kind.name);
    bool positional_only = ops->positional && ops->opts[0].name && !ops->opts[1].name;
    for (const struct zc_opt *o = ops->opts; o->name && used < len; o++) {
        char value[ZC_BACKEND_SPEC_MAX];
        format_value(o, cfg, value, sizeof value);
        if (positional_only)
            used += (size_t)snprintf(out + used, len - used, ":%s", value);
        else
            used += (size_t)snprintf(out + used, len - used, "%c%s=%s", o == ops->opts ? ':' : ',',
                                     o->name, value);
    }
    if (used < len)
        return 0;
    return zc_fail(E2BIG, "%s: its spec with every key spelled out is over %zu characters: "
                   "shorten its values (e.g. fewer keys in each emu WQ spec)", ops->kind.name, len - 1);
}

int zc_backend_open(const char *spec_text, struct zc_backend **out)
{
    if (!spec_text || !out)
        return zc_fail(EINVAL, "zc_backend_open: NULL %s", spec_text ? "out" : "spec");
    struct zc_spec spec;
    const struct zc_backend_ops *ops = NULL;
    int rc = parse_spec(spec_text, &spec, &ops);
    if (rc)
        return rc;
    struct zc_backend *be = calloc(1, sizeof *be);
    void *cfg = calloc(1, ops->cfg_size);
    if (!be || !cfg) {
        free(be);
        free(cfg);
        zc_spec_free(&spec);
        return zc_fail(ENOMEM, "%s: out of memory", ops->kind.name);
    }
    be->ops = ops;
    be->cfg = cfg;
    be->desc.kind = ops->kind.name;
    be->desc.device = "cpu";
    be->desc.timing = "";
    be->desc.wq = be->desc.wq_mode = be->desc.submit_path = "-";
    be->desc.batch = be->desc.queue_depth = be->desc.threads = 1;
    rc = zc_opts_apply(ops->opts, &spec, cfg, ops->kind.name);
    zc_spec_free(&spec);
    if (rc == 0)
        rc = ops->open(be, cfg);
    /* after open, which resolves values (best -> avx2, auto -> a WQ) */
    if (rc == 0 && (rc = canonical_spec(ops, cfg, be->spec, sizeof be->spec)) != 0)
        ops->close(be);
    if (rc) {
        free(cfg);
        free(be);
        return rc;
    }
    be->desc.spec = be->spec;
    be->desc.note = be->note;
    *out = be;
    return 0;
}

void zc_backend_close(struct zc_backend *be)
{
    if (!be)
        return;
    be->ops->close(be);
    free(be->cfg);
    free(be);
}

static int check_gran(const char *fn, size_t gran)
{
    if (gran == 0 || gran % 8 != 0)
        return zc_fail(EINVAL, "%s: granularity %zu (allowed: a non-zero multiple of 8 bytes)", fn,
                       gran);
    return 0;
}

/* Pages of gran bytes in len: the usual power-of-two granularity without
 * a division. */
static inline size_t pages_in(size_t len, size_t gran)
{
    return (gran & (gran - 1)) == 0 ? len >> __builtin_ctzl(gran) : len / gran;
}

/* A contiguous buffer of len bytes cut into *n pages of gran bytes. */
static inline bool pages_ok(size_t len, size_t gran, size_t *n)
{
    if (gran == 0 || gran % 8 != 0)
        return false;
    *n = pages_in(len, gran);
    return *n * gran == len;
}

struct named_arg {
    const void *p;
    const char *name;
};

/* Why a call over a contiguous buffer was refused: kept out of the calls
 * themselves, which a 4 KiB check makes often enough that their prologue
 * and checks showed in its time. */
__attribute__((cold, noinline)) static int bad_args(const char *fn, const struct zc_backend *be,
                                                    size_t len, size_t gran,
                                                    const struct named_arg *args, size_t n_args)
{
    int rc = check_gran(fn, gran);
    if (rc)
        return rc;
    if (len % gran != 0)
        return zc_fail(EINVAL, "%s: length %zu is not a multiple of the granularity %zu", fn, len,
                       gran);
    if (!be)
        return zc_fail(EINVAL, "%s: NULL backend", fn);
    for (size_t i = 0; len && i < n_args; i++)
        if (!args[i].p)
            return zc_fail(EINVAL, "%s: NULL %s", fn, args[i].name);
    return zc_fail(EINVAL, "%s: invalid arguments", fn);
}

static int run(struct zc_backend *be, const struct zc_be_job *job)
{
    if (job->n == 0)
        return 0;
    int rc = be->ops->run(be, job);
    if (rc == 0)
        be->stats.pages += job->n;
    return rc;
}

int zc_backend_check(struct zc_backend *be, const void *buf, size_t len, size_t gran,
                     bool *zero_out)
{
    size_t n;
    if (!pages_ok(len, gran, &n) || !be || (len && (!buf || !zero_out)))
        return bad_args("zc_backend_check", be, len, gran,
                        (const struct named_arg[]){{buf, "buffer"}, {zero_out, "zero_out"}}, 2);
    if (n == 1 && be->page_check) {
        *zero_out = be->page_check(buf, gran);
        be->stats.pages++;
        return 0;
    }
    struct zc_be_job job = {.op = ZC_BE_ZERO, .n = n, .gran = gran, .base = buf, .out = zero_out};
    return run(be, &job);
}

int zc_backend_checkv(struct zc_backend *be, const void *const *pages, size_t n, size_t gran,
                      bool *zero_out)
{
    static const char fn[] = "zc_backend_checkv";
    int rc = check_gran(fn, gran);
    if (rc)
        return rc;
    if (!be || (n && (!pages || !zero_out)))
        return zc_fail(EINVAL, "%s: NULL %s", fn, !be ? "backend" : !pages ? "pages" : "zero_out");
    for (size_t i = 0; i < n; i++)
        if (!pages[i])
            return zc_fail(EINVAL, "%s: pages[%zu] is NULL", fn, i);
    struct zc_be_job job = {.op = ZC_BE_ZERO, .n = n, .gran = gran, .vec = pages, .out = zero_out};
    return run(be, &job);
}

int zc_backend_compare(struct zc_backend *be, const void *a, const void *b, size_t len,
                       size_t gran, bool *equal_out)
{
    size_t n;
    if (!pages_ok(len, gran, &n) || !be || (len && (!a || !b || !equal_out)))
        return bad_args("zc_backend_compare", be, len, gran,
                        (const struct named_arg[]){{a, "first buffer"}, {b, "second buffer"},
                                                   {equal_out, "equal_out"}},
                        3);
    struct zc_be_job job = {.op = ZC_BE_COMPARE, .n = n, .gran = gran, .base = a, .base2 = b,
                            .out = equal_out};
    return run(be, &job);
}

void zc_backend_get_stats(const struct zc_backend *be, struct zc_backend_stats *out)
{
    *out = be->stats;
    if (be->ops->workers_cpu_ns)
        out->worker_cpu_ns = be->ops->workers_cpu_ns(be) - be->workers_cpu_at_reset;
}

void zc_backend_reset_stats(struct zc_backend *be)
{
    memset(&be->stats, 0, sizeof be->stats);
    if (be->ops->workers_cpu_ns)
        be->workers_cpu_at_reset = be->ops->workers_cpu_ns(be);
}

const struct zc_backend_desc *zc_backend_describe(const struct zc_backend *be)
{
    return &be->desc;
}

bool zc_backend_kind_usable(const struct zc_backend_kind *k, const char **why)
{
    static _Thread_local char reason[512];
    struct zc_backend *be;
    int rc = zc_backend_open(k->example, &be);
    if (rc) {
        snprintf(reason, sizeof reason, "%s", zc_last_error());
        if (why)
            *why = reason;
        return false;
    }
    zc_backend_close(be);
    if (why)
        *why = NULL;
    return true;
}

void zc_backend_kind_help(const struct zc_backend_kind *k, FILE *out)
{
    const struct zc_backend_ops *ops = ops_of(k);
    if (ops)
        zc_opts_help(ops->opts, out);
}
