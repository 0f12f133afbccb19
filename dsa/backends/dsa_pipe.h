/* Internal: the open/run/close of the backends that are the DSA engine
 * alone (dsa-single, dsa-batch, dsa-multi); they differ only in which keys
 * their spec takes (the others stay 0 here and mean 1). */
#ifndef ZC_BACKENDS_DSA_PIPE_H
#define ZC_BACKENDS_DSA_PIPE_H

#include "dsa/backend_impl.h"
#include "dsa/backends/dsa_engine.h"

struct zc_dsa_pipe_cfg {
    struct zc_dsa_common_cfg common;
    unsigned batch;  /* segments per BATCH descriptor; 0 = 1 (plain descriptors) */
    unsigned qd;     /* slots in flight; 0 = 1 */
};

#define ZC_DSA_BATCH_OPT(lo, dflt, text)                                                     \
    {.name = "batch", .type = ZC_OPT_UINT, .offset = offsetof(struct zc_dsa_pipe_cfg, batch), \
     .min = lo, .max = 4096, .def = dflt, .help = text}
#define ZC_DSA_BATCH_HELP "pages per BATCH descriptor, 2..max batch of the WQ (a 1-page tail goes plain)"
#define ZC_DSA_QD_OPT(dflt)                                                                \
    {.name = "qd", .type = ZC_OPT_UINT, .offset = offsetof(struct zc_dsa_pipe_cfg, qd),     \
     .min = 1, .max = 128, .def = dflt,                                                  \
     .help = "BATCH descriptors (plain ones with batch=1) in flight across the WQs"}

int  zc_dsa_pipe_open(struct zc_backend *be, void *cfg);
int  zc_dsa_pipe_run(struct zc_backend *be, const struct zc_be_job *job);
void zc_dsa_pipe_close(struct zc_backend *be);

#endif
