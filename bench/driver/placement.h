/* hwloc placement: pinning the measuring thread, binding buffers to a NUMA
 * node (a number, or local/remote relative to the device of the WQ under
 * test). */
#ifndef ZCB_PLACEMENT_H
#define ZCB_PLACEMENT_H

#include <stddef.h>
#include <stdint.h>

/* Validate --numa / --cpu against this host's topology (-EINVAL + message). */
int zcb_numa_check(const char *numa);
int zcb_cpu_check(int cpu);
/* Pin the calling thread to PU `cpu` (logical index); no-op for -1. */
int zcb_pin_thread(int cpu);
/* The NUMA node of PU `cpu` (logical index; -1: where the calling thread
 * runs now). */
int zcb_cpu_node(int cpu);
/* The NUMA node of the device of the backend spec's first work queue:
 * a named hardware WQ, or the one `auto` would choose; -1 for the emu
 * model, CPU backends or an unknown WQ. */
int zcb_backend_wq_node(const char *backend);
/* A case's --numa as the node to bind its buffers to ("any", or a node
 * number): local and remote are relative to the device of the WQ under
 * test (the backend's), else to the measuring thread. -EINVAL + message. */
int zcb_numa_for_case(const char *numa, const char *backend, char *out, size_t len);
#define ZCB_SHM_DIR "/dev/shm"
/* Memory for the pages under test, prefaulted by the caller. `backing`
 * (enum zcb_backing) anon: private anonymous memory bound per `numa`
 * ("any": not bound); shm: a file on /dev/shm mapped shared, as QEMU's
 * guest RAM in backend qemu's rows (unbound). NULL + message on failure.
 * Free with zcb_free_bound. */
void *zcb_alloc_bound(size_t len, const char *numa, int backing);
void zcb_free_bound(void *p, size_t len, const char *numa, int backing);
/* --backing shm: `len` bytes fit on /dev/shm now (-ENOSPC + message). */
int zcb_shm_preflight(uint64_t len);
/* "packages=1 cores=2 pus=2 numa=1" for the metadata. */
void zcb_topology_summary(char *buf, size_t len);
void zcb_placement_shutdown(void);

#endif
