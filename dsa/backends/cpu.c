/* cpu:VARIANT - the calling thread checks every page with one <zc/cpu.h> kernel. */
#include <errno.h>
#include <stddef.h>

#include "dsa/backend_impl.h"
#include "dsa/backends/cpu_variant.h"

struct cpu_cfg {
    char variant[ZC_BE_VARIANT_MAX];
};

static const struct zc_opt cpu_opts[] = {
    {.name = "variant", .type = ZC_OPT_STRING, .offset = offsetof(struct cpu_cfg, variant),
     .size = ZC_BE_VARIANT_MAX, .def = "best",
     .help = "<zc/cpu.h> kernel: byte, u64, sse2, avx2, avx512, avx512_256 or best"},
    {0},
};

static int cpu_open(struct zc_backend *be, void *cfg)
{
    struct cpu_cfg *c = cfg;
    zc_zero_fn fn;
    int rc = zc_be_cpu_variant("cpu", c->variant, &fn);
    be->page_check = fn; /* cpu_run's kernel too */
    return rc;
}

/* Vectors of pages and compares: kept out of cpu_run, whose common case
 * then saves and restores few registers around a one-page call. */
__attribute__((noinline)) static int cpu_run_other(const struct zc_be_job *job, zc_zero_fn fn)
{
    for (size_t i = 0; i < job->n; i++)
        job->out[i] = zc_be_cpu_answer(job, i, 0, job->gran, fn);
    return 0;
}

static int cpu_run(struct zc_backend *be, const struct zc_be_job *job)
{
    zc_zero_fn fn = be->page_check;
    if (job->op != ZC_BE_ZERO || job->vec)
        return cpu_run_other(job, fn);
    /* The common case, with the job in registers: the kernel call may
     * write memory, so a loop over job-> fields reloads them per page. */
    const uint8_t *page = job->base;
    size_t n = job->n, gran = job->gran;
    bool *out = job->out;
    for (size_t i = 0; i < n; i++, page += gran)
        out[i] = fn(page, gran);
    return 0;
}

static void cpu_close(struct zc_backend *be) { (void)be; }

const struct zc_backend_ops zc_backend_cpu = {
    .kind = {.name = "cpu", .summary = "one thread, one <zc/cpu.h> kernel (cpu:VARIANT)",
             .example = "cpu:best"},
    .opts = cpu_opts,
    .cfg_size = sizeof(struct cpu_cfg),
    .positional = "variant",
    .open = cpu_open,
    .run = cpu_run,
    .close = cpu_close,
};
