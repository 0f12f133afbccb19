/* dsa-single:wq=WQ - one COMPVAL (pattern 0) per page, submit and wait: the
 * seed patch's design, the baseline every other DSA backend is measured
 * against. */
#include "dsa/backends/dsa_pipe.h"

static const struct zc_opt single_opts[] = {
    ZC_DSA_WQ_OPT(struct zc_dsa_pipe_cfg, common),
    ZC_DSA_COMMON_OPTS(struct zc_dsa_pipe_cfg, common),
    {0},
};

const struct zc_backend_ops zc_backend_dsa_single = {
    .kind = {.name = "dsa-single", .summary = "one descriptor per page, submit and wait (the seed)",
             .example = "dsa-single:wq=emu"},
    .opts = single_opts,
    .cfg_size = sizeof(struct zc_dsa_pipe_cfg),
    .open = zc_dsa_pipe_open,
    .run = zc_dsa_pipe_run,
    .close = zc_dsa_pipe_close,
};
