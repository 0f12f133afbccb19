/* Our results CSV (docs/csv-schema.md) and the samples CSV beside it.
 * Columns are found by header name; fields follow RFC 4180 quoting. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compare/cases.h"

#define MAX_FIELDS 128

struct csv_row {
    char *fields[MAX_FIELDS];
    size_t n;
    char *storage;
};

/* One record from *p. 0, 1 at end of text, -1 on an unterminated quote or
 * too many fields. The row owns row->storage. */
static int next_row(const char **p, struct csv_row *row)
{
    const char *s = *p;
    row->n = 0;
    row->storage = NULL;
    if (!*s)
        return 1;
    char *out = malloc(strlen(s) + 1);
    if (!out)
        return -1;
    row->storage = out;
    for (;;) {
        if (row->n == MAX_FIELDS)
            return -1;
        row->fields[row->n++] = out;
        if (*s == '"') {
            for (s++; !(*s == '"' && s[1] != '"'); s++) {
                if (!*s)
                    return -1;
                if (*s == '"')
                    s++; /* a doubled quote stands for one */
                *out++ = *s;
            }
            s++;
        }
        while (*s && *s != ',' && *s != '\n' && *s != '\r')
            *out++ = *s++;
        *out++ = '\0';
        if (*s != ',')
            break;
        s++;
    }
    s += strspn(s, "\r\n");
    *p = s;
    return 0;
}

static int column(const struct csv_row *header, const char *name)
{
    for (size_t i = 0; i < header->n; i++)
        if (strcmp(header->fields[i], name) == 0)
            return (int)i;
    return -1;
}

typedef int (*row_fn)(const struct csv_row *row, const int *cols,
                      struct zc_run *run, char *err, size_t errlen);

/* Walks every row of a CSV text whose header has the given columns. */
static int for_each_row(const char *path, const char *text, const char *const *names, size_t n_names,
                        row_fn fn, struct zc_run *run, char *err, size_t errlen)
{
    const char *p = text;
    struct csv_row header, row;
    int cols[16];
    int rc = -1, line = 1;
    if (next_row(&p, &header) != 0 || column(&header, "schema_version") != 0) {
        snprintf(err, errlen, "'%s' is neither a zcbench CSV (schema_version first) nor Google Benchmark JSON", path);
        goto out;
    }
    for (size_t i = 0; i < n_names; i++)
        if ((cols[i] = column(&header, names[i])) < 0) {
            snprintf(err, errlen, "'%s' lacks column '%s'", path, names[i]);
            goto out;
        }
    int r;
    while ((r = next_row(&p, &row)) == 0) {
        line++;
        int bad = row.n != header.n;
        if (bad)
            snprintf(err, errlen, "%s:%d: %zu fields, the header has %zu", path, line, row.n, header.n);
        else
            bad = fn(&row, cols, run, err, errlen);
        free(row.storage);
        if (bad)
            goto out;
    }
    if (r < 0) {
        free(row.storage);
        snprintf(err, errlen, "%s:%d: malformed CSV record (unterminated quote?)", path, line + 1);
        goto out;
    }
    rc = 0;
out:
    free(header.storage);
    return rc;
}

enum { C_WORKLOAD, C_OP, C_BACKEND, C_BUF, C_GRAN, C_ZERO, C_CACHE, C_LAT, C_TPUT, C_COUNT };
static const char *const result_columns[C_COUNT] = {
    "workload", "op", "backend", "buf_bytes", "gran_bytes", "zero_ratio", "cache", "latency_ns",
    "throughput_gbps"};

/* The case key of docs/csv-schema.md; with as_reference, the key of the
 * read-ceiling row of the same point. */
static void case_key(char *buf, size_t len, const struct csv_row *row, const int *cols, bool as_reference)
{
    char *const *f = row->fields;
    snprintf(buf, len, "%s/%s/%s/%s/%s/%s/%s", f[cols[C_WORKLOAD]], as_reference ? "read" : f[cols[C_OP]],
             as_reference ? "ref:read" : f[cols[C_BACKEND]], f[cols[C_BUF]], f[cols[C_GRAN]],
             f[cols[C_ZERO]], f[cols[C_CACHE]]);
}

static int add_result(const struct csv_row *row, const int *cols,
                      struct zc_run *run, char *err, size_t errlen)
{
    char key[1024];
    case_key(key, sizeof key, row, cols, false);
    const char *lat_text = row->fields[cols[C_LAT]];
    char *end;
    double lat = strtod(lat_text, &end);
    if (end == lat_text || *end || !(lat > 0)) {
        snprintf(err, errlen, "%s: case %s: bad latency_ns '%s'", run->path, key, lat_text);
        return -1;
    }
    if (zc_run_find(run, key))
        return 0; /* the first row of a repeated point stands for it */
    struct zc_case *c = zc_run_add(run, key);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    c->latency_ns = lat;
    c->throughput = strtod(row->fields[cols[C_TPUT]], NULL);
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
static int add_sample(const struct csv_row *row, const int *cols,
                      struct zc_run *run, char *err, size_t errlen)
{
    struct zc_case *c = (struct zc_case *)zc_run_find(run, row->fields[cols[0]]);
    if (!c || c->samples_complete)
        return 0;
    if (strcmp(row->fields[cols[1]], "0") == 0 && c->n_samples > 0) {
        c->samples_complete = true;
        return 0;
    }
    const char *text = row->fields[cols[2]];
    char *end;
    double lat = strtod(text, &end);
    if (end == text || *end || !(lat > 0)) {
        snprintf(err, errlen, "%s: case %s: bad latency_ns '%s'", run->path, c->key, text);
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
    int rc = for_each_row(spath, text, names, 3, add_sample, run, err, errlen);
    free(text);
    return rc;
}

int zc_run_load_csv(const char *path, const char *text, struct zc_run *run, char *err, size_t errlen)
{
    if (for_each_row(path, text, result_columns, C_COUNT, add_result, run, err, errlen) != 0)
        return -1;
    return load_samples(path, run, err, errlen);
}
