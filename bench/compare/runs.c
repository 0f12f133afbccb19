#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cases.h"

char *zc_read_text(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf && (got = fread(buf + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) {
        snprintf(err, errlen, "out of memory reading '%s'", path);
        return NULL;
    }
    buf[len] = '\0';
    return buf;
}

int zc_run_load(const char *path, struct zc_run *run, char *err, size_t errlen)
{
    memset(run, 0, sizeof *run);
    char *text = zc_read_text(path, err, errlen);
    if (!text)
        return -1;
    run->path = strdup(path);
    const char *p = text;
    while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
        p++;
    int rc = *p == '{' ? zc_run_load_gbench_json(path, text, run, err, errlen)
                       : zc_run_load_csv(path, text, run, err, errlen);
    free(text);
    if (rc == 0 && run->n == 0) {
        snprintf(err, errlen, "'%s' holds no benchmark results", path);
        rc = -1;
    }
    if (rc)
        zc_run_free(run);
    return rc;
}

void zc_run_free(struct zc_run *run)
{
    for (size_t i = 0; i < run->n; i++) {
        free(run->cases[i].key);
        free(run->cases[i].ref_key);
        free(run->cases[i].samples);
    }
    free(run->cases);
    free(run->path);
    memset(run, 0, sizeof *run);
}

const struct zc_case *zc_run_find(const struct zc_run *run, const char *key)
{
    for (size_t i = 0; i < run->n; i++)
        if (strcmp(run->cases[i].key, key) == 0)
            return &run->cases[i];
    return NULL;
}

struct zc_case *zc_run_add(struct zc_run *run, const char *key)
{
    struct zc_case *grown = realloc(run->cases, (run->n + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    run->cases = grown;
    struct zc_case *c = &run->cases[run->n];
    memset(c, 0, sizeof *c);
    c->key = strdup(key);
    if (!c->key)
        return NULL;
    run->n++;
    return c;
}

int zc_case_add_sample(struct zc_case *c, double latency_ns)
{
    double *grown = realloc(c->samples, (c->n_samples + 1) * sizeof *grown);
    if (!grown)
        return -1;
    c->samples = grown;
    c->samples[c->n_samples++] = latency_ns;
    return 0;
}
