/* The results CSV, the samples CSV (docs/csv-schema.md). Every row is
 * formatted into a buffer and written with one write() of a complete line,
 * so an interrupted run keeps every finished row and never a torn one. */
#ifndef ZCB_CSV_H
#define ZCB_CSV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ZCB_SCHEMA_VERSION 4

struct zcb_row {
    const char *run_id, *workload, *op, *backend, *device;
    uint64_t buf_bytes, gran_bytes, batch, queue_depth, n_wq, threads;
    double zero_ratio;
    const char *cache;
    uint64_t reps;
    double latency_ns, latency_ns_p99, throughput_gbps, cpu_ns_per_page;
    double submit_cycles_per_page, wait_cycles_per_page;
    uint64_t pages, pages_zero, verified;
    const char *nonzero_at, *wait;
    bool guest; /* savevm/migrate: the guest columns are filled */
    bool qemu;  /* device qemu: the qemu columns are filled, the model's zero-check split not */
    uint64_t mem_bytes, save_cycles, zerocheck_cycles;
    double zerocheck_share, tsc_hz;
    /* appended after schema 1's first table (see docs/csv-schema.md) */
    const char *sweep, *sink, *numa;
    int64_t cpu;
    bool migrate; /* the migrate model's columns are filled */
    uint64_t packet_pages;
    double sender_cpu_ns, sender_cpu_ns_max;
    double descriptors_per_page, batches_per_pass, retries_per_pass, cpu_pages_per_pass,
        faults_per_pass;
    const char *note; /* what the backend degraded at open, "" when nothing */
    uint64_t passes_per_sample; /* passes timed back to back as one sample */
    double clock_ns;            /* what timing an empty sample costs (wall) */
    /* schema 2: where a DSA row ran */
    const char *target, *wq, *wq_mode, *submit_path;
    const char *timing;         /* dsa-projected: the timing profile; "-" otherwise */
    double wall_ns;             /* the host's wall time of a pass (the model's own speed when projected) */
    /* schema 3: the host's QEMU (device qemu); ns are CPU time per pass */
    const char *qemu_version, *qemu_accel;
    bool qemu_migrate;
    uint64_t qemu_channels, qemu_pages_zero, qemu_pages_normal, qemu_bytes;
    double qemu_total_ms, qemu_mbps;
    double qemu_cpu_user_ns, qemu_cpu_sys_ns, qemu_save_thread_cpu_ns, qemu_multifd_cpu_ns,
        qemu_multifd_cpu_ns_max, qemu_io_cpu_ns;
    /* schema 4: where the pages lived (enum zcb_backing's name) */
    const char *backing;
};

struct zcb_csv {
    int fd;
    bool owned;
    char path[1024];
};

/* Opens (creates, or appends to a file with the same header) and writes the
 * header when the file is new. path NULL or "" or "-": stdout. */
int zcb_csv_open_results(struct zcb_csv *w, const char *path);
int zcb_csv_open_samples(struct zcb_csv *w, const char *path);
int zcb_csv_write_row(struct zcb_csv *w, const struct zcb_row *r);
int zcb_csv_write_sample(struct zcb_csv *w, const char *run_id, const char *case_key,
                         unsigned rep, double latency_ns, double cpu_ns);
void zcb_csv_close(struct zcb_csv *w);
/* The header line of the results CSV (tests compare it with the doc). */
void zcb_csv_results_header(char *buf, size_t len);
/* Appends text to buf as one CSV field (quoted when it holds , " or newline). */
size_t zcb_csv_field(char *buf, size_t len, size_t used, const char *text);

#endif
