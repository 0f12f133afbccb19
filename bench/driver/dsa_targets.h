/* The sweep files' indirection for DSA work queues: a DSA spec written
 * with wq=auto (auto+auto for two WQs) becomes, at case expansion, one
 * spec per --dsa-targets entry:
 *   hw        the host's WQs, chosen automatically and distinct (NUMA node
 *             of the measuring thread first; zc_dsa_auto_choose), dropped
 *             with one log line when the host has none usable;
 *   projected the model twin of the same WQs (zcb_projected_wq);
 *   model     the functional emu model (wq=emu).
 * Specs naming their WQs (wq=emu:..., wq=wq0.0) pass unchanged, and so do
 * backends given on the command line unless --dsa-targets is given there
 * too (`zcbench --backend dsa-single:wq=auto` means a hardware WQ). */
#ifndef ZCB_DSA_TARGETS_H
#define ZCB_DSA_TARGETS_H

#include <stddef.h>

#include <zc/dsa.h>

#include "options.h"

#define ZCB_WHY_MAX 640

/* One spec to measure, and where it came from. */
struct zcb_backend_choice {
    char sweep[64];
    char spec[ZCB_SPEC_MAX];
    char target[16];        /* "hw", "projected", "model"; "-" for a spec as written */
    char why[ZCB_WHY_MAX];  /* hw: which WQs and why; "" otherwise */
};

struct zcb_choice_list {
    size_t n, cap;
    struct zcb_backend_choice *v;
};

/* The WQ spec of the projection of one WQ: the model twin of hw (its mode,
 * size, max batch, max transfer, the engines of its group), or, with hw
 * NULL, of the real configuration zcbench loads (configs/dsa-1dev-1dwq-
 * 4eng.conf: a dedicated WQ of 128 entries, max batch 1024, max transfer
 * 2 MiB, 4 engines): "emu:clock=virtual,dev=DEVICE,..." (the projection,
 * timing=spr; WQs of one device share it). */
void zcb_projected_wq(const struct zc_dsa_wq_info *hw, char *out, size_t len);

/* Appends what spec becomes under o->dsa_targets, for the measuring thread
 * on NUMA node `node` (-1: unknown). -EINVAL when a result does not fit. */
int zcb_dsa_targets_expand(const struct zcb_options *o, const char *sweep, const char *spec,
                           int node, struct zcb_choice_list *out);
void zcb_choice_list_free(struct zcb_choice_list *l);

/* Every hardware choice made in this run, for the metadata; reset frees
 * them and lets "no usable WQ" be said again. */
const struct zcb_choice_list *zcb_dsa_targets_chosen(void);
/* The hw target spec of sweep was dropped (its WQ refuses it): no longer
 * listed as chosen. */
void zcb_dsa_targets_forget(const char *sweep, const char *spec);
void zcb_dsa_targets_reset(void);

#endif
