/* Internal: the only way the hardware path (dsa/hw/) reaches the kernel
 * and the device. One small table of operations: the real one (Linux idxd
 * and libaccel-config, the MOVDIR64B/ENQCMD instructions) is the default;
 * a kernel model (kernel_model.c) stands in for tests, selected with
 * ZC_DSA_KERNEL=model:... or zc_dsa_kernel_select(). Everything above the
 * portal store instruction (discovery, open, capability checks, the choice
 * of submission path, credits, error reporting) then runs unchanged. */
#ifndef ZC_DSA_HW_KERNEL_H
#define ZC_DSA_HW_KERNEL_H

#include <stdbool.h>
#include <stddef.h>

#include <zc/dsa.h>

#include "cpu/features.h"

/* What enumeration (accel-config) says about one device. */
struct zc_dsa_kdev {
    char name[32];  /* "dsa0" */
    bool enabled;
    int numa_node;
};

/* ... and about one of its WQs. */
struct zc_dsa_kwq {
    struct zc_dsa_wq_info info; /* device, name, mode, size, max_batch, max_xfer, numa, engines */
    bool enabled;               /* the WQ (its device enabled too) */
    bool user;                  /* type "user": a character device for applications */
    bool block_on_fault;        /* the WQ's block_on_fault attribute */
    int clients;                /* open files on the WQ (-1: unknown) */
    char type[16], state[16];   /* as accel-config names them */
    char path[128];             /* /dev/dsa/wqD.Q */
};

/* Called once per device with wq NULL, then once per WQ of it. */
typedef void (*zc_dsa_kvisit_fn)(const struct zc_dsa_kdev *dev, const struct zc_dsa_kwq *wq,
                                 void *ctx);

struct zc_dsa_kernel {
    const char *name;  /* "linux", or the model's spec */
    bool is_model;
    /* accel-config enumeration of the DSA devices (IAX excluded). Count of
     * WQs, or -errno with zc_fail's message (-ENODEV: idxd not loaded). */
    int (*enumerate)(zc_dsa_kvisit_fn fn, void *ctx);
    /* A sysfs attribute of /sys/bus/dsa/devices/OBJ/ATTR ("dsa0", "op_cap"),
     * one line without its newline; 0 or -errno (-ENOENT: not on this kernel). */
    int (*read_attr)(const char *obj, const char *attr, char *buf, size_t len);
    /* Whether the kernel lists `flag` in /proc/cpuinfo ("enqcmd": it lets
     * user space use ENQCMD, i.e. supports PASIDs for user processes). */
    bool (*cpuinfo_flag)(const char *flag);
    /* CPUID: the instruction exists on this CPU. */
    bool (*cpu_has)(enum zc_cpu_feature f);
    /* The WQ character device: fd, or -errno (raw: no message). */
    int  (*open)(const char *path);
    void (*close)(int fd);
    /* The WQ's 4 KiB portal: 0 and *portal, or -errno (-EPERM: needs CAP_SYS_RAWIO). */
    int  (*mmap_portal)(int fd, void **portal);
    void (*munmap_portal)(void *portal);
    /* write() of one descriptor: 0, or -errno (-EINVAL: refused, e.g. BATCH
     * on kernels with the INTEL-SA-01084 fix; -EAGAIN: shared WQ full). */
    int  (*write_desc)(int fd, const struct dsa_hw_desc *d);
    /* poll() on the WQ fd: 1 when the device reports a software error
     * (POLLIN), 0 none, -errno. */
    int  (*poll_error)(int fd);
    /* The store instructions, on a 64-byte aligned descriptor. */
    void (*movdir64b)(void *portal, const struct dsa_hw_desc *d);
    int  (*enqcmd)(void *portal, const struct dsa_hw_desc *d); /* 1: not accepted (ZF) */
};

/* The table in use: ZC_DSA_KERNEL on first use (unset or "linux": the
 * real one), or what zc_dsa_kernel_select() set. */
const struct zc_dsa_kernel *zc_dsa_kernel(void);
/* Switches tables (NULL or "linux": the real one; "model:key=value,...").
 * -EBUSY while hardware WQs are open; -EINVAL naming a bad key. */
int zc_dsa_kernel_select(const char *spec);

extern const struct zc_dsa_kernel zc_dsa_kernel_linux;
/* The model for `spec` ("model:kernel=6.9.1,dwq=2,..."): 0 and *out, or
 * -EINVAL naming the bad key. zc_dsa_kmodel_free releases it. */
int  zc_dsa_kmodel_new(const char *spec, const struct zc_dsa_kernel **out);
void zc_dsa_kmodel_free(const struct zc_dsa_kernel *k);
/* Tests: disable WQ `name` of the model in use now, as an administrator's
 * `accel-config disable-wq` would under a running process. */
int  zc_dsa_kmodel_disable_wq(const char *name);

/* Hardware WQs open now in this process (the registry of dsa/hw/wq.c). */
unsigned zc_dsa_hw_open_files(void);

#endif
