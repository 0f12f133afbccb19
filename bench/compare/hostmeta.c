#include "compare/hostmeta.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare/cases.h"
#include "compare/json.h"

/* The TSC frequency is calibrated per run (cpu/tsc.c) to well within this. */
#define TSC_TOLERANCE 0.01

void zc_host_from_row(struct zc_host *h, const char *run_id, const char *tsc_hz)
{
    if (run_id)
        snprintf(h->run_id, sizeof h->run_id, "%s", run_id);
    char *end;
    double hz = tsc_hz ? strtod(tsc_hz, &end) : 0;
    if (tsc_hz && end != tsc_hz && !*end && hz > 0 && isfinite(hz))
        h->tsc_hz = hz;
}

static bool read_number(struct zc_json *s, double *out)
{
    char *end;
    double v = strtod(s->p, &end);
    if (end == s->p)
        return false;
    s->p = end;
    *out = v > 0 && isfinite(v) ? v : 0;
    return true;
}

static void read_fields(const char *text, struct zc_host *h)
{
    struct zc_json s = {text};
    if (!zc_json_eat(&s, '{') || zc_json_eat(&s, '}'))
        return;
    do {
        char key[64];
        if (!zc_json_string(&s, key, sizeof key) || !zc_json_eat(&s, ':'))
            return;
        zc_json_skip_ws(&s);
        bool ok;
        if (!strcmp(key, "cpu_model"))
            ok = zc_json_string(&s, h->cpu_model, sizeof h->cpu_model);
        else if (!strcmp(key, "cpu_best_variant"))
            ok = zc_json_string(&s, h->best, sizeof h->best);
        else if (!strcmp(key, "tsc_hz") && h->tsc_hz == 0)
            ok = read_number(&s, &h->tsc_hz);
        else
            ok = zc_json_skip(&s, 1);
        if (!ok)
            return;
    } while (zc_json_eat(&s, ','));
}

void zc_host_read_sidecar(const char *csv_path, struct zc_host *h)
{
    if (!h->run_id[0] || strchr(h->run_id, '/'))
        return;
    const char *slash = strrchr(csv_path, '/');
    char path[4096], err[256];
    snprintf(path, sizeof path, "%.*s%s.meta.json", slash ? (int)(slash - csv_path + 1) : 0, csv_path,
             h->run_id);
    char *text = zc_read_text(path, err, sizeof err);
    if (!text)
        return; /* a CSV copied without its sidecar: the host stays partly unknown */
    read_fields(text, h);
    free(text);
}

bool zc_host_differ(const struct zc_host *a, const struct zc_host *b, char *why, size_t len)
{
    size_t n = 0;
    why[0] = '\0';
    if (a->cpu_model[0] && b->cpu_model[0] && strcmp(a->cpu_model, b->cpu_model) != 0)
        n += (size_t)snprintf(why + n, len - n, "CPU '%s' vs '%s'", a->cpu_model, b->cpu_model);
    if (n < len && a->best[0] && b->best[0] && strcmp(a->best, b->best) != 0)
        n += (size_t)snprintf(why + n, len - n, "%scpu:best %s vs %s", n ? "; " : "", a->best, b->best);
    if (n < len && a->tsc_hz > 0 && b->tsc_hz > 0 && fabs(a->tsc_hz / b->tsc_hz - 1) > TSC_TOLERANCE)
        n += (size_t)snprintf(why + n, len - n, "%sTSC %.3f vs %.3f GHz", n ? "; " : "",
                              a->tsc_hz / 1e9, b->tsc_hz / 1e9);
    return n > 0;
}

bool zc_host_incomplete(const struct zc_host *h)
{
    return !h->cpu_model[0] || !h->best[0] || !(h->tsc_hz > 0);
}
