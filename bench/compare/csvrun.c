/* Our results CSV (docs/csv-schema.md) and the samples CSV beside it.
 * Columns are found by header name; fields follow RFC 4180 quoting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare/cases.h"
#include "compare/csvread.h"
#include "compare/hostmeta.h"

/* run_id and tsc_hz only describe the host, so files without them still
 * load; backing came with schema 4. */
enum { C_WORKLOAD, C_OP, C_BACKEND, C_BUF, C_GRAN, C_ZERO, C_CACHE, C_LAT, C_TPUT, C_REQUIRED,
       C_RUN_ID = C_REQUIRED, C_TSC_HZ, C_BACKING, C_COUNT };
static const char *const result_columns[C_COUNT] = {
    "workload", "op", "backend", "buf_bytes", "gran_bytes", "zero_ratio", "cache", "latency_ns",
    "throughput_gbps", "run_id", "tsc_hz", "backing"};

/* The case key of docs/csv-schema.md; with as_reference, the key of the
 * read-ceiling row of the same point. */
static void case_key(char *buf, size_t len, const struct zc_csv_row *row, const int *cols, bool as_reference)
{
    char *const *f = row->fields;
    bool shm = cols[C_BACKING] >= 0 && strcmp(f[cols[C_BACKING]], "shm") == 0;
    snprintf(buf, len, "%s/%s/%s/%s/%s/%s/%s%s", f[cols[C_WORKLOAD]], as_reference ? "read" : f[cols[C_OP]],
             as_reference ? "ref:read" : f[cols[C_BACKEND]], f[cols[C_BUF]], f[cols[C_GRAN]],
             f[cols[C_ZERO]], f[cols[C_CACHE]], shm ? "/shm" : "");
}

static int add_result(const struct zc_csv_row *row, const int *cols, void *ctx, char *err,
                      size_t errlen)
{
    struct zc_run *run = ctx;
    char key[1024];
    case_key(key, sizeof key, row, cols, false);
    const char *version = row->fields[0];
    if (strcmp(version, "1") != 0 && strcmp(version, "2") != 0 && strcmp(version, "3") != 0 &&
        strcmp(version, "4") != 0) {
        snprintf(err, errlen, "%s: case %s: schema_version '%s' (this gate reads 1 to 4)", run->path, key,
                 version);
        return -1;
    }
    const char *lat_text = row->fields[cols[C_LAT]], *tput_text = row->fields[cols[C_TPUT]];
    double lat, tput;
    bool lat_ok = zc_csv_positive(lat_text, &lat), tput_ok = zc_csv_positive(tput_text, &tput);
    if (!lat_ok || !tput_ok) {
        snprintf(err, errlen, "%s: case %s: bad %s '%s' (allowed: a finite number > 0)", run->path, key,
                 lat_ok ? "throughput_gbps" : "latency_ns", lat_ok ? tput_text : lat_text);
        return -1;
    }
    if (run->n == 0)
        zc_host_from_row(&run->host, cols[C_RUN_ID] < 0 ? NULL : row->fields[cols[C_RUN_ID]],
                         cols[C_TSC_HZ] < 0 ? NULL : row->fields[cols[C_TSC_HZ]]);
    if (zc_run_find(run, key))
        return 0; /* the first row of a repeated point stands for it */
    struct zc_case *c = zc_run_add(run, key);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->latency_ns = lat;
    c->throughput = tput;
    const char *workload = row->fields[cols[C_WORKLOAD]];
    bool has_reference = strcmp(workload, "zerocheck") == 0 || strcmp(workload, "onegig") == 0;
    if (has_reference && strcmp(row->fields[cols[C_OP]], "read") != 0) {
        char ref[1024];
        case_key(ref, sizeof ref, row, cols, true);
        c->ref_key = strdup(ref);
    }
    return 0;
}

/* Samples of a key come as one series rep 0, 1, ...; when two sweeps of a
 * run measured the same point, the first series stands for it, as the
 * first results row does. */
static int add_sample(const struct zc_csv_row *row, const int *cols, void *ctx, char *err,
                      size_t errlen)
{
    struct zc_run *run = ctx;
    struct zc_case *c = (struct zc_case *)zc_run_find(run, row->fields[cols[0]]);
    if (!c || c->samples_complete)
        return 0;
    if (strcmp(row->fields[cols[1]], "0") == 0 && c->n_samples > 0) {
        c->samples_complete = true;
        return 0;
    }
    const char *text = row->fields[cols[2]];
    double lat;
    if (!zc_csv_positive(text, &lat)) {
        snprintf(err, errlen, "%s: case %s: bad sample latency_ns '%s' (allowed: a finite number > 0)",
                 run->path, c->key, text);
        return -1;
    }
    if (zc_case_add_sample(c, lat) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static int load_samples(const char *path, struct zc_run *run, char *err, size_t errlen)
{
    size_t len = strlen(path);
    char spath[4096];
    if (len > 4 && strcmp(path + len - 4, ".csv") == 0)
        snprintf(spath, sizeof spath, "%.*s.samples.csv", (int)(len - 4), path);
    else
        snprintf(spath, sizeof spath, "%s.samples.csv", path);
    if (access(spath, R_OK) != 0)
        return 0; /* samples are optional: the gate falls back to medians */
    char *text = zc_read_text(spath, err, errlen);
    if (!text)
        return -1;
    static const char *const names[] = {"case", "rep", "latency_ns"};
    int rc = zc_csv_for_each(spath, text, "a zcbench samples CSV", "schema_version", names, 3, 3,
                             add_sample, run, err, errlen);
    free(text);
    return rc;
}

int zc_run_load_csv(const char *path, const char *text, struct zc_run *run, char *err, size_t errlen)
{
    if (zc_csv_for_each(path, text, "a zcbench results CSV (schema_version first) or Google Benchmark JSON",
                        "schema_version", result_columns, C_COUNT, C_REQUIRED, add_result, run, err, errlen) != 0)
        return -1;
    zc_host_read_sidecar(path, &run->host);
    return load_samples(path, run, err, errlen);
}
