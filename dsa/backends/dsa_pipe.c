#include "dsa/backends/dsa_pipe.h"

int zc_dsa_pipe_open(struct zc_backend *be, void *cfg)
{
    struct zc_dsa_pipe_cfg *c = cfg;
    struct zc_dsa_engine *e;
    int rc = zc_dsa_engine_open(be->ops->kind.name, &c->common, c->batch ? c->batch : 1,
                                c->qd ? c->qd : 1, zc_cpu_find("best"), be, &e);
    be->impl = e;
    return rc;
}

int zc_dsa_pipe_run(struct zc_backend *be, const struct zc_be_job *job)
{
    return zc_dsa_engine_run(be->impl, job, 0, job->n, &be->stats);
}

void zc_dsa_pipe_close(struct zc_backend *be) { zc_dsa_engine_close(be->impl); }
