/* The host's own QEMU as a backend of the savevm and migrate workloads:
 * `--backend qemu[:accel=auto|kvm|tcg][,multifd=0|1]` saves or migrates a
 * stopped VM whose guest RAM holds exactly the pages the model checks. */
#ifndef ZCB_QEMU_WORKLOAD_H
#define ZCB_QEMU_WORKLOAD_H

#include <stdbool.h>
#include <stdio.h>

#include "cases.h"

/* Whether spec names QEMU (kind "qemu"). */
bool zcb_qemu_spec(const char *spec);
/* A QEMU spec's keys, and that the workload takes it: -EINVAL + message. */
int zcb_qemu_check_spec(const char *spec, int workload);
/* What a QEMU case needs of its geometry (4 KiB pages, whole MiB of RAM). */
int zcb_qemu_check_case(const struct zcb_case *c);
/* --list-backends: whether QEMU can run here, and its keys. */
void zcb_qemu_list(FILE *out, const char *qemu);
/* The default of --qemu-image: zcbench-qemu-PID.qcow2 in the directory of
 * the results CSV (the current directory when it goes to stdout). */
void zcb_qemu_default_image(const char *output, char *buf, size_t len);

#endif
