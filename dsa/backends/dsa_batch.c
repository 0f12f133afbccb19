/* dsa-batch:wq=WQ,batch=N - BATCH descriptors of N pages, one in flight:
 * one submission and one wait per N pages. */
#include "dsa/backends/dsa_pipe.h"

static const struct zc_opt batch_opts[] = {
    ZC_DSA_WQ_OPT(struct zc_dsa_pipe_cfg, common),
    ZC_DSA_BATCH_OPT(2, "32", ZC_DSA_BATCH_HELP),
    ZC_DSA_COMMON_OPTS(struct zc_dsa_pipe_cfg, common),
    {0},
};

const struct zc_backend_ops zc_backend_dsa_batch = {
    .kind = {.name = "dsa-batch", .summary = "BATCH descriptors of N pages, one batch in flight",
             .example = "dsa-batch:wq=emu,batch=32"},
    .opts = batch_opts,
    .cfg_size = sizeof(struct zc_dsa_pipe_cfg),
    .open = zc_dsa_pipe_open,
    .run = zc_dsa_pipe_run,
    .close = zc_dsa_pipe_close,
};
