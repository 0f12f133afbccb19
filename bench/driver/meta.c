#include "meta.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <zc/cpu.h>
#include <zc/dsa.h>
#include <zc/error.h>

#include "cpu/features.h"
#include "cpu/tsc.h"
#include "csv.h"
#include "dsa/error.h"
#include "dsa_targets.h"
#include "placement.h"

#ifndef ZC_VERSION
#define ZC_VERSION "unknown"
#endif
#ifndef ZC_GIT_HASH
#define ZC_GIT_HASH "unknown"
#endif

static void host_name(char *buf, size_t len)
{
    if (gethostname(buf, len) != 0 || !buf[0])
        snprintf(buf, len, "host");
    buf[len - 1] = '\0';
    for (char *p = buf; *p; p++) /* run ids go into file names */
        if (*p == '/' || *p == ' ')
            *p = '_';
}

void zcb_make_run_id(char *buf, size_t len)
{
    char host[64], stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    host_name(host, sizeof host);
    snprintf(buf, len, "%s-%s-%d", stamp, host, (int)getpid());
}

static void json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

struct dsa_list {
    FILE *f;
    int n;
};

static void dsa_visit(const struct zc_dsa_wq_info *wq, const char *type, const char *state, void *ctx)
{
    struct dsa_list *l = ctx;
    fprintf(l->f, "%s{\"device\": ", l->n++ ? ", " : "");
    json_string(l->f, wq->device);
    fprintf(l->f, ", \"wq\": ");
    json_string(l->f, wq->name);
    fprintf(l->f, ", \"mode\": \"%s\", \"size\": %u, \"max_batch\": %u, \"engines\": %u, "
                  "\"numa_node\": %d, \"type\": ",
            wq->mode == ZC_DSA_SHARED ? "shared" : "dedicated", wq->size, wq->max_batch, wq->engines,
            wq->numa_node);
    json_string(l->f, type ? type : "");
    fprintf(l->f, ", \"state\": ");
    json_string(l->f, state ? state : "");
    fprintf(l->f, ", \"modeled\": %s}", wq->is_model ? "true" : "false");
}

/* What the kernel lists, the automatic choices and the WQs rows ran on. */
static void write_dsa(FILE *f, const struct zcb_wqs_used *used)
{
    struct dsa_list l = {f, 0};
    const char *model = zc_dsa_kernel_model();
    fprintf(f, "{\"kernel\": ");
    json_string(f, model ? model : "linux");
    fprintf(f, ", \"wqs\": [");
    int n = zc_dsa_discover(dsa_visit, &l);
    fprintf(f, "], \"error\": ");
    json_string(f, n < 0 ? zc_last_error() : "");
    fprintf(f, ",\n    \"auto_choices\": [");
    const struct zcb_choice_list *c = zcb_dsa_targets_chosen();
    for (size_t i = 0; i < c->n; i++) {
        fprintf(f, "%s{\"sweep\": ", i ? ",\n      " : "\n      ");
        json_string(f, c->v[i].sweep);
        fprintf(f, ", \"backend\": ");
        json_string(f, c->v[i].spec);
        fprintf(f, ", \"why\": ");
        json_string(f, c->v[i].why);
        fputc('}', f);
    }
    fprintf(f, "],\n    \"wqs_used\": [");
    for (size_t i = 0; used && i < used->n; i++) {
        const struct zcb_wq_used *u = &used->v[i];
        fprintf(f, "%s{\"wq\": ", i ? ", " : "");
        json_string(f, u->wq);
        fprintf(f, ", \"wq_mode\": ");
        json_string(f, u->mode);
        fprintf(f, ", \"submit_path\": ");
        json_string(f, u->path);
        fprintf(f, ", \"device\": ");
        json_string(f, u->device);
        fputc('}', f);
    }
    fprintf(f, "], \"wqs_used_complete\": %s}", used && used->complete ? "true" : "false");
}

void zcb_wqs_used_add(struct zcb_wqs_used *u, const char *wq, const char *mode, const char *path,
                      const char *device)
{
    for (size_t i = 0; i < u->n; i++)
        if (strcmp(u->v[i].wq, wq) == 0 && strcmp(u->v[i].mode, mode) == 0 &&
            strcmp(u->v[i].path, path) == 0 && strcmp(u->v[i].device, device) == 0)
            return;
    if (u->n == ZCB_WQS_USED_MAX)
        return;
    struct zcb_wq_used *e = &u->v[u->n++];
    snprintf(e->wq, sizeof e->wq, "%s", wq);
    snprintf(e->mode, sizeof e->mode, "%s", mode);
    snprintf(e->path, sizeof e->path, "%s", path);
    snprintf(e->device, sizeof e->device, "%s", device);
}

static void write_meta(FILE *f, const char *run_id, const char *command_line,
                       const struct zcb_wqs_used *used)
{
    char host[64], date[32], topo[256];
    struct utsname u;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%SZ", &tm);
    host_name(host, sizeof host);
    if (uname(&u) != 0)
        memset(&u, 0, sizeof u);
    zcb_topology_summary(topo, sizeof topo);
    fprintf(f, "{\n  \"schema_version\": %d,\n  \"run_id\": ", ZCB_SCHEMA_VERSION);
    json_string(f, run_id);
    fprintf(f, ",\n  \"zcbench_version\": ");
    json_string(f, ZC_VERSION);
    fprintf(f, ",\n  \"git_hash\": ");
    json_string(f, ZC_GIT_HASH);
    fprintf(f, ",\n  \"command_line\": ");
    json_string(f, command_line);
    fprintf(f, ",\n  \"date_utc\": \"%s\",\n  \"host\": ", date);
    json_string(f, host);
    fprintf(f, ",\n  \"kernel\": ");
    char kernel[400];
    snprintf(kernel, sizeof kernel, "%s %s %s", u.sysname, u.release, u.machine);
    json_string(f, kernel);
    fprintf(f, ",\n  \"cpu_model\": ");
    json_string(f, zc_cpu_model_name());
    fprintf(f, ",\n  \"cpu_flags\": {");
    for (int i = 0; i < ZC_CPU_FEATURE_COUNT; i++)
        fprintf(f, "%s\"%s\": %s", i ? ", " : "", zc_cpu_feature_name((enum zc_cpu_feature)i),
                zc_cpu_has((enum zc_cpu_feature)i) ? "true" : "false");
    fprintf(f, "},\n  \"cpu_best_variant\": ");
    json_string(f, zc_cpu_best_name());
    fprintf(f, ",\n  \"cpu_best_override\": ");
    const char *forced = getenv("ZC_CPU_BEST");
    json_string(f, forced ? forced : "");
    fprintf(f, ",\n  \"tsc_hz\": %.0f,\n  \"hwloc\": %s,\n  \"dsa\": ", zc_tsc_hz(), topo);
    write_dsa(f, used);
    fprintf(f, "\n}\n");
}

int zcb_meta_write(const char *dir, const char *run_id, const char *command_line,
                   const struct zcb_wqs_used *used)
{
    char path[2048], tmp[2100];
    snprintf(path, sizeof path, "%s/%s.meta.json", dir, run_id);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return zc_fail(errno, "%s: cannot write the metadata: %s", tmp, strerror(errno));
    write_meta(f, run_id, command_line, used);
    bool ok = fflush(f) == 0 && !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return zc_fail(EIO, "%s: cannot write the metadata", path);
    }
    return 0;
}
