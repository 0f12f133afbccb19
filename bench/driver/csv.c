#include "csv.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dsa/error.h"
#include "options.h"

enum col_type { C_STR, C_U64, C_I64, C_DBL, C_RATIO };
/* Which rows fill a column; the others leave it empty. */
enum col_rows { R_ALL, R_GUEST, R_GUEST_MODEL, R_MIGRATE, R_QEMU, R_QEMU_MIGRATE, R_QEMU_MULTIFD };

struct column {
    const char *name;
    enum col_type type;
    enum col_rows rows;
    size_t offset;
};

#define COL(name, type) {#name, type, R_ALL, offsetof(struct zcb_row, name)}
#define COL_OF(name, type, rows) {#name, type, rows, offsetof(struct zcb_row, name)}
static const struct column results_columns[] = {
    COL(run_id, C_STR), COL(workload, C_STR), COL(op, C_STR), COL(backend, C_STR),
    COL(device, C_STR), COL(buf_bytes, C_U64), COL(gran_bytes, C_U64), COL(batch, C_U64),
    COL(queue_depth, C_U64), COL(n_wq, C_U64), COL(threads, C_U64), COL(zero_ratio, C_RATIO),
    COL(cache, C_STR), COL(reps, C_U64), COL(latency_ns, C_DBL), COL(latency_ns_p99, C_DBL),
    COL(throughput_gbps, C_DBL), COL(cpu_ns_per_page, C_DBL), COL(submit_cycles_per_page, C_DBL),
    COL(wait_cycles_per_page, C_DBL), COL(pages, C_U64), COL(pages_zero, C_U64),
    COL(verified, C_U64), COL(nonzero_at, C_STR), COL(wait, C_STR), COL_OF(mem_bytes, C_U64, R_GUEST),
    COL_OF(save_cycles, C_U64, R_GUEST), COL_OF(zerocheck_cycles, C_U64, R_GUEST_MODEL),
    COL_OF(zerocheck_share, C_DBL, R_GUEST_MODEL), COL(tsc_hz, C_DBL),
    /* appended */
    COL(sweep, C_STR), COL(sink, C_STR), COL(numa, C_STR), COL(cpu, C_I64),
    COL_OF(packet_pages, C_U64, R_MIGRATE), COL_OF(sender_cpu_ns, C_DBL, R_MIGRATE),
    COL_OF(sender_cpu_ns_max, C_DBL, R_MIGRATE), COL(descriptors_per_page, C_DBL),
    COL(batches_per_pass, C_DBL), COL(retries_per_pass, C_DBL), COL(cpu_pages_per_pass, C_DBL),
    COL(faults_per_pass, C_DBL), COL(note, C_STR),
    COL(passes_per_sample, C_U64), COL(clock_ns, C_DBL),
    /* schema 2: where a DSA row ran */
    COL(target, C_STR), COL(wq, C_STR), COL(wq_mode, C_STR), COL(submit_path, C_STR),
    /* the projection */
    COL(timing, C_STR), COL(wall_ns, C_DBL),
    /* schema 3: the host's QEMU */
    COL_OF(qemu_version, C_STR, R_QEMU), COL_OF(qemu_accel, C_STR, R_QEMU),
    COL_OF(qemu_channels, C_U64, R_QEMU_MIGRATE), COL_OF(qemu_pages_zero, C_U64, R_QEMU),
    COL_OF(qemu_pages_normal, C_U64, R_QEMU), COL_OF(qemu_bytes, C_U64, R_QEMU),
    COL_OF(qemu_total_ms, C_DBL, R_QEMU), COL_OF(qemu_mbps, C_DBL, R_QEMU_MIGRATE),
    COL_OF(qemu_cpu_user_ns, C_DBL, R_QEMU), COL_OF(qemu_cpu_sys_ns, C_DBL, R_QEMU),
    COL_OF(qemu_save_thread_cpu_ns, C_DBL, R_QEMU), COL_OF(qemu_multifd_cpu_ns, C_DBL, R_QEMU_MULTIFD),
    COL_OF(qemu_multifd_cpu_ns_max, C_DBL, R_QEMU_MULTIFD), COL_OF(qemu_io_cpu_ns, C_DBL, R_QEMU),
    /* schema 4 */
    COL(backing, C_STR),
};
#define N_RESULTS (sizeof results_columns / sizeof results_columns[0])

static const char samples_header[] = "schema_version,run_id,case,rep,latency_ns,cpu_ns\n";

size_t zcb_csv_field(char *buf, size_t len, size_t used, const char *text)
{
    bool quote = strpbrk(text, ",\"\n\r") != NULL;
    if (used < len && quote)
        buf[used++] = '"';
    for (const char *p = text; *p && used < len; p++) {
        if (*p == '"' && used + 1 < len)
            buf[used++] = '"';
        buf[used++] = *p;
    }
    if (used < len && quote)
        buf[used++] = '"';
    return used;
}

void zcb_csv_results_header(char *buf, size_t len)
{
    size_t used = (size_t)snprintf(buf, len, "schema_version");
    for (size_t i = 0; i < N_RESULTS && used < len; i++)
        used += (size_t)snprintf(buf + used, len - used, ",%s", results_columns[i].name);
    if (used < len)
        snprintf(buf + used, len - used, "\n");
}

static int write_line(struct zcb_csv *w, const char *line, size_t len)
{
    /* One write() per line; only a signal or a full disk splits it, and the
     * loop finishes the line rather than leaving it torn. */
    while (len) {
        ssize_t n = write(w->fd, line, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return zc_fail(errno ? errno : EIO, "%s: write failed: %s", w->path, strerror(errno));
        line += n;
        len -= (size_t)n;
    }
    return 0;
}

static int open_csv(struct zcb_csv *w, const char *path, const char *header, const char *opt)
{
    memset(w, 0, sizeof *w);
    if (!path || !*path || strcmp(path, "-") == 0) {
        w->fd = STDOUT_FILENO;
        snprintf(w->path, sizeof w->path, "stdout");
        return write_line(w, header, strlen(header));
    }
    snprintf(w->path, sizeof w->path, "%s", path);
    w->fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (w->fd < 0)
        return zc_fail(errno, "%s %s: cannot open: %s (allowed: a writable file path)", opt, path,
                       strerror(errno));
    w->owned = true;
    struct stat st;
    if (fstat(w->fd, &st) == 0 && st.st_size == 0)
        return write_line(w, header, strlen(header));
    /* Appending is allowed only under the same header. */
    char existing[4096];
    size_t hlen = strlen(header);
    ssize_t n = pread(w->fd, existing, hlen < sizeof existing ? hlen : sizeof existing, 0);
    if (n != (ssize_t)hlen || memcmp(existing, header, hlen) != 0) {
        zcb_csv_close(w);
        return zc_fail(EINVAL, "%s %s: exists with a different header (allowed: a new file, or one "
                               "written by this zcbench schema)", opt, path);
    }
    return 0;
}

int zcb_csv_open_results(struct zcb_csv *w, const char *path)
{
    char header[2048];
    zcb_csv_results_header(header, sizeof header);
    return open_csv(w, path, header, "--output");
}

int zcb_csv_open_samples(struct zcb_csv *w, const char *path)
{
    return open_csv(w, path, samples_header, "--samples");
}

static bool filled(enum col_rows rows, const struct zcb_row *r)
{
    switch (rows) {
    case R_ALL: return true;
    case R_GUEST: return r->guest;
    case R_GUEST_MODEL: return r->guest && !r->qemu;
    case R_MIGRATE: return r->migrate;
    case R_QEMU: return r->qemu;
    case R_QEMU_MIGRATE: return r->qemu && r->qemu_migrate;
    case R_QEMU_MULTIFD: return r->qemu && r->qemu_channels > 0;
    }
    return false;
}

static size_t format_value(char *buf, size_t len, size_t used, const struct column *c,
                           const struct zcb_row *r)
{
    const char *field = (const char *)r + c->offset;
    if (!filled(c->rows, r) || used >= len)
        return used;
    switch (c->type) {
    case C_STR: {
        const char *s = *(const char *const *)field;
        return zcb_csv_field(buf, len, used, s ? s : "");
    }
    case C_U64:
        return used + (size_t)snprintf(buf + used, len - used, "%" PRIu64, *(const uint64_t *)field);
    case C_I64:
        return used + (size_t)snprintf(buf + used, len - used, "%" PRId64, *(const int64_t *)field);
    case C_DBL:
        return used + (size_t)snprintf(buf + used, len - used, "%.6g", *(const double *)field);
    case C_RATIO: {
        char ratio[32];
        zcb_format_ratio(*(const double *)field, ratio, sizeof ratio);
        return used + (size_t)snprintf(buf + used, len - used, "%s", ratio);
    }
    }
    return used;
}

int zcb_csv_write_row(struct zcb_csv *w, const struct zcb_row *r)
{
    char line[4096];
    size_t used = (size_t)snprintf(line, sizeof line, "%d", ZCB_SCHEMA_VERSION);
    for (size_t i = 0; i < N_RESULTS && used < sizeof line; i++) {
        line[used++] = ',';
        used = format_value(line, sizeof line, used, &results_columns[i], r);
    }
    if (used >= sizeof line - 1)
        return zc_fail(EOVERFLOW, "%s: row longer than %zu bytes", w->path, sizeof line);
    line[used++] = '\n';
    return write_line(w, line, used);
}

int zcb_csv_write_sample(struct zcb_csv *w, const char *run_id, const char *case_key,
                         unsigned rep, double latency_ns, double cpu_ns)
{
    char line[2048];
    size_t used = (size_t)snprintf(line, sizeof line, "%d,", ZCB_SCHEMA_VERSION);
    used = zcb_csv_field(line, sizeof line, used, run_id);
    if (used < sizeof line)
        line[used++] = ',';
    used = zcb_csv_field(line, sizeof line, used, case_key);
    if (used < sizeof line)
        used += (size_t)snprintf(line + used, sizeof line - used, ",%u,%.6g,%.6g\n", rep, latency_ns, cpu_ns);
    if (used >= sizeof line)
        return zc_fail(EOVERFLOW, "%s: row longer than %zu bytes", w->path, sizeof line);
    return write_line(w, line, used);
}

void zcb_csv_close(struct zcb_csv *w)
{
    if (w->owned && w->fd >= 0)
        close(w->fd);
    w->fd = -1;
    w->owned = false;
}
