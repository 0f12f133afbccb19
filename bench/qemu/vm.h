/* The host's own QEMU as a child process: a stopped VM (-S) with no
 * devices (-machine none) whose guest RAM is a file zcbench filled, driven
 * through QMP. Also qemu-img, and the checks that name what is missing. */
#ifndef ZCQ_VM_H
#define ZCQ_VM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "qmp.h"

#define ZCQ_MIN_MAJOR 5 /* -machine memory-backend= appeared in QEMU 5.0 */
#define ZCQ_MIN_MINOR 0

struct zcq_version {
    int major, minor, micro;
    char text[64]; /* "7.2.22" */
};

/* The program `name` (a path, or looked up in PATH) in out; -ENOENT with a
 * message naming it and the Debian package (hint) that provides it. */
int zcq_find_program(const char *name, const char *hint, char *out, size_t len);
/* Runs `qemu --version`: -EINVAL when older than ZCQ_MIN_MAJOR.ZCQ_MIN_MINOR. */
int zcq_qemu_version(const char *qemu, struct zcq_version *v);
/* qemu-img create -f qcow2 over path, a file the caller just created. */
int zcq_image_create(const char *qemu_img, const char *path);

struct zcq_vm_config {
    const char *qemu;      /* program path */
    uint64_t ram_bytes;
    const char *ram_path;  /* file mapped as guest RAM (share=on, prealloc=on) */
    const char *image;     /* qcow2 for savevm; NULL: no disk */
    const char *qmp_path;  /* QMP socket QEMU listens at */
    const char *trace_log; /* where QEMU logs its savevm trace events (trace.h); NULL: none */
    const char *accel;     /* "auto" (KVM, else TCG), "kvm" or "tcg" */
    int timeout_ms;        /* for startup (guest RAM is preallocated then) */
    bool (*cancelled)(void); /* true: the startup and every QMP wait give up; NULL: never */
};

struct zcq_vm {
    pid_t pid;
    struct zcq_qmp qmp;
    bool kvm;              /* the accelerator QEMU runs on: KVM, else TCG */
};

/* Starts QEMU and connects QMP (-ECANCELED when cancelled). On failure
 * nothing is left running. */
int zcq_vm_start(struct zcq_vm *vm, const struct zcq_vm_config *cfg);
/* quit through QMP, then SIGKILL if QEMU has not exited within 10 s, or at
 * once when it did not answer quit. */
void zcq_vm_stop(struct zcq_vm *vm);

#endif
