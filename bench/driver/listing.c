#include "listing.h"

#include <zc/backend.h>
#include <zc/cpu.h>
#include <zc/dsa.h>
#include <zc/error.h>

#include "qemu_workload.h"

static void print_wq(const struct zc_dsa_wq_info *wq, const char *type, const char *state, void *ctx)
{
    FILE *out = ctx;
    fprintf(out, "  %s/%s  %s, %s, %s, size %u, max batch %u, %u engines, NUMA node %d\n", wq->device,
            wq->name, type ? type : "?", state ? state : "?",
            wq->mode == ZC_DSA_SHARED ? "shared" : "dedicated", wq->size, wq->max_batch, wq->engines,
            wq->numa_node);
}

/* What wq=auto opens here: the WQ, why, and how descriptors reach it. */
static void print_auto(FILE *out)
{
    struct zc_dsa_wq_info chosen;
    char why[640];
    if (zc_dsa_auto_choose(-1, NULL, 0, &chosen, why, sizeof why) != 0)
        return;
    fprintf(out, "  wq=auto: %s\n", why);
    struct zc_dsa_wq *wq;
    if (zc_dsa_wq_open(chosen.name, &wq) != 0) {
        fprintf(out, "  %s does not open: %s\n", chosen.name, zc_last_error());
        return;
    }
    const struct zc_dsa_wq_info *i = zc_dsa_wq_info(wq);
    fprintf(out, "  %s submits through %s%s%s\n", i->name, zc_dsa_submit_path_name(i->path),
            i->path_note[0] ? ": " : "", i->path_note);
    zc_dsa_wq_close(wq);
}

void zcb_list_backends(FILE *out, const char *qemu)
{
    const char *model = zc_dsa_kernel_model();
    fprintf(out, "Backends (--backend SPEC; 'all' = the example of every usable kind; DSA kinds run\n"
                 "on the emu model when their WQ is emu (device dsa-emu, modeled); in sweep files\n"
                 "wq=auto becomes the host's WQs and their projection, per --dsa-targets):\n");
    for (size_t i = 0; i < zc_backend_kind_count(); i++) {
        const struct zc_backend_kind *k = zc_backend_kind_at(i);
        const char *why = NULL;
        bool usable = zc_backend_kind_usable(k, &why);
        fprintf(out, "  %-11s %-6s %s\n  %11s e.g. %s%s%s\n", k->name, usable ? "yes" : "no", k->summary,
                "", k->example, usable ? "" : "  -- not usable: ", usable ? "" : (why ? why : "?"));
        zc_backend_kind_help(k, out);
    }
    fprintf(out, "\nThe emu device model (wq=emu:key=value,...; ZC_EMU=\"key=value,...\" sets defaults;\n"
                 "clock=virtual is the projection, labeled projected):\n");
    zc_dsa_emu_help(out);
    fprintf(out, "\nCPU variants (cpu:VARIANT; best = %s):\n", zc_cpu_best_name());
    for (size_t i = 0; i < zc_cpu_variant_count(); i++) {
        const struct zc_cpu_variant *v = zc_cpu_variant_at(i);
        fprintf(out, "  %-8s %-4s %s%s%s\n", v->name, v->usable ? "yes" : "no", v->summary,
                v->usable ? "" : "  -- not usable: ", v->usable ? "" : (v->why_not ? v->why_not : "?"));
    }
    if (model)
        fprintf(out, "\nDSA work queues of the KERNEL MODEL (ZC_DSA_KERNEL=%s, a test hook: the\n"
                     "hardware path runs over a modeled kernel and device; rows say device\n"
                     "dsa-kmodel and are modeled, never hardware):\n", model);
    else
        fprintf(out, "\nDSA hardware (libaccel-config):\n");
    int n = zc_dsa_discover(print_wq, out);
    if (n < 0)
        fprintf(out, "  none: %s\n", zc_last_error());
    else if (n == 0)
        fprintf(out, "  no enabled work queue found\n");
    else
        print_auto(out);
    fprintf(out, "  CPU submission instructions: MOVDIR64B %s, ENQCMD %s, WAITPKG %s\n",
            zc_dsa_cpu_has_movdir64b() ? "yes" : "no", zc_dsa_cpu_has_enqcmd() ? "yes" : "no",
            zc_dsa_cpu_has_waitpkg() ? "yes" : "no");
    zcb_qemu_list(out, qemu);
}
