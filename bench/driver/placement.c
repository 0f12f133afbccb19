#include "placement.h"

#include <errno.h>
#include <fcntl.h>
#include <hwloc.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <zc/dsa.h>

#include "dsa/error.h"
#include "dsa/spec.h"
#include "options.h"
#include "owned_file.h"

#define ZC_BE_WQ_TEXT_MAX 512

static hwloc_topology_t topo;

static hwloc_topology_t topology(void)
{
    if (!topo && (hwloc_topology_init(&topo) != 0 || hwloc_topology_load(topo) != 0)) {
        topo = NULL;
        zc_fail(EIO, "hwloc: cannot load the topology");
    }
    return topo;
}

void zcb_placement_shutdown(void)
{
    if (topo)
        hwloc_topology_destroy(topo);
    topo = NULL;
}

static int numa_count(void)
{
    hwloc_topology_t t = topology();
    return t ? hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE) : 0;
}

int zcb_cpu_node(int cpu)
{
    hwloc_topology_t t = topology();
    hwloc_bitmap_t set = hwloc_bitmap_alloc();
    int found = 0;
    hwloc_obj_t pu = NULL;
    if (t && cpu >= 0)
        pu = hwloc_get_obj_by_type(t, HWLOC_OBJ_PU, (unsigned)cpu);
    else if (t && set && hwloc_get_last_cpu_location(t, set, HWLOC_CPUBIND_THREAD) == 0)
        pu = hwloc_get_obj_inside_cpuset_by_type(t, set, HWLOC_OBJ_PU, 0);
    hwloc_obj_t n = pu ? hwloc_get_next_obj_covering_cpuset_by_type(t, pu->cpuset, HWLOC_OBJ_NUMANODE, NULL) : NULL;
    if (n)
        found = (int)n->logical_index;
    hwloc_bitmap_free(set);
    return found;
}

struct named_wq {
    const char *name;
    int node;
};

static void node_of_named(const struct zc_dsa_wq_info *wq, const char *type, const char *state,
                          void *ctx)
{
    (void)type;
    (void)state;
    struct named_wq *w = ctx;
    if (strcmp(wq->name, w->name) == 0)
        w->node = wq->numa_node;
}

int zcb_backend_wq_node(const char *backend)
{
    struct zc_spec s;
    if (!backend || zc_spec_parse(backend, &s) != 0)
        return -1;
    const char *wq = zc_spec_get(&s, "wq");
    char copy[ZC_BE_WQ_TEXT_MAX], *items[16];
    size_t n = 0;
    snprintf(copy, sizeof copy, "%s", wq ? wq : "");
    int node = -1;
    if (wq && zc_spec_split(copy, '+', items, 16, &n) == 0 && n > 0) {
        const char *first = strncmp(items[0], "/dev/dsa/", 9) == 0 ? items[0] + 9 : items[0];
        struct zc_dsa_wq_info chosen;
        if (strcmp(first, "auto") == 0) {
            if (zc_dsa_auto_choose(zcb_cpu_node(-1), NULL, 0, &chosen, NULL, 0) == 0)
                node = chosen.numa_node;
        } else if (strncmp(first, "wq", 2) == 0) {
            struct named_wq w = {first, -1};
            zc_dsa_discover(node_of_named, &w);
            node = w.node;
        }
    }
    zc_spec_free(&s);
    zc_clear_error();
    return node;
}

/* The NUMA node "local" means for a case: the device of the WQ under test
 * (D8 of the review: not the first device found), else the node the
 * measuring thread runs on (the emu model executes on this CPU). */
static int local_node(const char *backend)
{
    int node = zcb_backend_wq_node(backend);
    return node >= 0 ? node : zcb_cpu_node(-1);
}

/* -1 for "any"; else the logical NUMA node index, or -EINVAL. */
static int resolve_node(const char *numa, const char *backend)
{
    int nodes = numa_count();
    if (strcmp(numa, "any") == 0)
        return -1;
    if (strcmp(numa, "local") == 0)
        return local_node(backend);
    if (strcmp(numa, "remote") == 0) {
        if (nodes < 2)
            return zc_fail(EINVAL, "--numa remote: this host has %d NUMA node(s), remote needs 2 or more "
                                   "(allowed: any, local, 0..%d)", nodes, nodes - 1);
        return (local_node(backend) + 1) % nodes;
    }
    char *end;
    long n = strtol(numa, &end, 10);
    if (end == numa || *end || n < 0 || n >= nodes)
        return zc_fail(EINVAL, "--numa: bad value '%s' (allowed: any, local, remote, 0..%d)", numa,
                       nodes - 1);
    return (int)n;
}

int zcb_numa_check(const char *numa)
{
    int rc = resolve_node(numa, NULL);
    return rc < -1 ? rc : 0;
}

int zcb_numa_for_case(const char *numa, const char *backend, char *out, size_t len)
{
    int node = resolve_node(numa, backend);
    if (node < -1)
        return node;
    if (node < 0)
        snprintf(out, len, "any");
    else
        snprintf(out, len, "%d", node);
    return 0;
}

int zcb_cpu_check(int cpu)
{
    hwloc_topology_t t = topology();
    int pus = t ? hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU) : 0;
    if (cpu >= pus)
        return zc_fail(EINVAL, "--cpu %d: this host has %d PUs (allowed: -1, 0..%d)", cpu, pus, pus - 1);
    return 0;
}

static int pinned = -1;

int zcb_pin_thread(int cpu)
{
    hwloc_topology_t t = topology();
    if (cpu == pinned || !t)
        return 0;
    /* -1 after a pinned case: back to every PU of the machine. */
    hwloc_obj_t pu = cpu >= 0 ? hwloc_get_obj_by_type(t, HWLOC_OBJ_PU, (unsigned)cpu) : NULL;
    if (cpu >= 0 && !pu)
        return zc_fail(EINVAL, "--cpu %d: no such PU", cpu);
    hwloc_bitmap_t set = hwloc_bitmap_dup(pu ? pu->cpuset : hwloc_topology_get_complete_cpuset(t));
    if (pu)
        hwloc_bitmap_singlify(set);
    int rc = hwloc_set_cpubind(t, set, HWLOC_CPUBIND_THREAD | (pu ? HWLOC_CPUBIND_STRICT : 0));
    hwloc_bitmap_free(set);
    if (rc)
        return zc_fail(errno ? errno : EIO, "--cpu %d: cannot pin the thread: %s", cpu, strerror(errno));
    pinned = cpu;
    return 0;
}

/* A file on /dev/shm, unlinked at once (nothing is left behind, whatever
 * ends the run), its room taken before the pages are touched (a write past
 * a full tmpfs would end the process with SIGBUS), mapped shared and
 * advised for huge pages: as QEMU maps the guest RAM of a
 * memory-backend-file there. */
static void *map_shm(size_t len)
{
    char path[] = ZCB_SHM_DIR "/zcbench-pages-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) {
        zc_fail(errno, "--backing shm: cannot create a file in %s: %s", ZCB_SHM_DIR, strerror(errno));
        return NULL;
    }
    unlink(path);
    void *p = MAP_FAILED;
    int err = posix_fallocate(fd, 0, (off_t)len);
    if (err)
        zc_fail(err, "--backing shm: cannot reserve %zu bytes in %s: %s", len, ZCB_SHM_DIR, strerror(err));
    else if ((p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)) == MAP_FAILED)
        zc_fail(errno, "--backing shm: cannot map %zu bytes: %s", len, strerror(errno));
    else
        madvise(p, len, MADV_HUGEPAGE); /* what QEMU asks of every RAM block; the host decides */
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

int zcb_shm_preflight(uint64_t len)
{
    uint64_t avail;
    int rc = zcb_dir_free_bytes(ZCB_SHM_DIR, "--backing shm", &avail);
    if (rc)
        return rc;
    if (avail < len)
        return zc_fail(ENOSPC, "--backing shm: %s has %" PRIu64 " bytes free, the pages need %" PRIu64
                               " (allowed: a smaller size, or --backing anon)", ZCB_SHM_DIR, avail, len);
    return 0;
}

void *zcb_alloc_bound(size_t len, const char *numa, int backing)
{
    if (backing == ZCB_BACKING_SHM)
        return map_shm(len); /* unbound: cases.c refuses --numa with --backing shm (a qemu
                              * case's buffer only fills QEMU's own RAM file) */
    int node = resolve_node(numa, NULL);
    if (node < -1)
        return NULL;
    if (node < 0) {
        void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            zc_fail(errno, "cannot map %zu bytes: %s", len, strerror(errno));
            return NULL;
        }
        return p;
    }
    hwloc_topology_t t = topology();
    hwloc_obj_t n = hwloc_get_obj_by_type(t, HWLOC_OBJ_NUMANODE, (unsigned)node);
    void *p = n ? hwloc_alloc_membind(t, len, n->nodeset, HWLOC_MEMBIND_BIND, HWLOC_MEMBIND_BYNODESET)
                : NULL;
    if (!p)
        zc_fail(ENOMEM, "cannot bind %zu bytes to NUMA node %d (--numa %s)", len, node, numa);
    return p;
}

void zcb_free_bound(void *p, size_t len, const char *numa, int backing)
{
    if (!p)
        return;
    if (strcmp(numa, "any") == 0 || backing == ZCB_BACKING_SHM)
        munmap(p, len);
    else
        hwloc_free(topology(), p, len);
}

void zcb_topology_summary(char *buf, size_t len)
{
    hwloc_topology_t t = topology();
    if (!t) {
        snprintf(buf, len, "unknown");
        return;
    }
    snprintf(buf, len, "{\"packages\": %d, \"cores\": %d, \"pus\": %d, \"numa_nodes\": %d}",
             hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PACKAGE), hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_CORE),
             hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_PU), hwloc_get_nbobjs_by_type(t, HWLOC_OBJ_NUMANODE));
}
