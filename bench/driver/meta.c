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
    fputc('}', l->f);
}

static void write_dsa(FILE *f)
{
    struct dsa_list l = {f, 0};
    fprintf(f, "{\"wqs\": [");
    int n = zc_dsa_discover(dsa_visit, &l);
    fprintf(f, "], \"error\": ");
    json_string(f, n < 0 ? zc_last_error() : "");
    fputc('}', f);
}

static void write_meta(FILE *f, const char *run_id, const char *command_line)
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
    write_dsa(f);
    fprintf(f, "\n}\n");
}

int zcb_meta_write(const char *dir, const char *run_id, const char *command_line)
{
    char path[2048], tmp[2100];
    snprintf(path, sizeof path, "%s/%s.meta.json", dir, run_id);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return zc_fail(errno, "%s: cannot write the metadata: %s", tmp, strerror(errno));
    write_meta(f, run_id, command_line);
    bool ok = fflush(f) == 0 && !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return zc_fail(EIO, "%s: cannot write the metadata", path);
    }
    return 0;
}
