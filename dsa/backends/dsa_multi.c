/* dsa-multi:wq=WQ+WQ+...,qd=N,batch=N - asynchronous: up to qd batches (or,
 * with batch=1, plain descriptors: how the later QEMU series submits) in
 * flight across the WQs round-robin (the seed's "future work"), credits
 * per dedicated WQ, bounded ENQCMD retry on shared ones. */
#include "dsa/backends/dsa_pipe.h"

static const struct zc_opt multi_opts[] = {
    ZC_DSA_WQ_OPT(struct zc_dsa_pipe_cfg, common),
    ZC_DSA_BATCH_OPT(1, "32", "pages per BATCH descriptor, 2..max batch of the WQ; 1: plain "
                               "descriptors, qd of them in flight"),
    ZC_DSA_QD_OPT("4"),
    ZC_DSA_COMMON_OPTS(struct zc_dsa_pipe_cfg, common),
    {0},
};

const struct zc_backend_ops zc_backend_dsa_multi = {
    .kind = {.name = "dsa-multi",
             .summary = "async: qd batches in flight over WQs round-robin",
             .example = "dsa-multi:wq=emu+emu,qd=4,batch=32"},
    .opts = multi_opts,
    .cfg_size = sizeof(struct zc_dsa_pipe_cfg),
    .open = zc_dsa_pipe_open,
    .run = zc_dsa_pipe_run,
    .close = zc_dsa_pipe_close,
};
