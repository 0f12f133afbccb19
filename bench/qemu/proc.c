#include "proc.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dsa/error.h"

static uint64_t ticks_to_ns(unsigned long long ticks)
{
    static long hz;
    if (!hz)
        hz = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
    return (uint64_t)ticks * (1000000000ull / (uint64_t)hz);
}

/* utime and stime (fields 14 and 15) of a /proc stat file; the command name
 * in parentheses may hold spaces, so fields are counted after its ')'. */
static bool read_stat_times(const char *path, unsigned long long *utime, unsigned long long *stime)
{
    char buf[1024];
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    return p && sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", utime, stime) == 2;
}

int zcq_proc_cpu_read(pid_t pid, struct zcq_proc_cpu *out)
{
    char path[64];
    unsigned long long ut, st;
    clockid_t clk;
    struct timespec ts;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (clock_getcpuclockid(pid, &clk) != 0 || clock_gettime(clk, &ts) != 0 ||
        !read_stat_times(path, &ut, &st))
        return zc_fail(ESRCH, "cannot read the CPU time of process %d", (int)pid);
    out->total_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
    out->user_ns = ticks_to_ns(ut);
    out->sys_ns = ticks_to_ns(st);
    return 0;
}

/* Run time of a thread in ns: schedstat's first field, or (kernels without
 * schedstats) utime + stime from its stat file. */
static bool thread_run_ns(pid_t pid, pid_t tid, uint64_t *ns)
{
    char path[96];
    unsigned long long v, ut, st;
    snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", (int)pid, (int)tid);
    FILE *f = fopen(path, "re");
    if (f) {
        int got = fscanf(f, "%llu", &v);
        fclose(f);
        if (got == 1) {
            *ns = v;
            return true;
        }
    }
    snprintf(path, sizeof path, "/proc/%d/task/%d/stat", (int)pid, (int)tid);
    if (!read_stat_times(path, &ut, &st))
        return false;
    *ns = ticks_to_ns(ut + st);
    return true;
}

static void thread_name(pid_t pid, pid_t tid, char *buf, size_t len)
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)pid, (int)tid);
    FILE *f = fopen(path, "re");
    buf[0] = '\0';
    if (f) {
        if (fgets(buf, (int)len, f))
            buf[strcspn(buf, "\n")] = '\0';
        fclose(f);
    }
}

static struct zcq_thread *find(struct zcq_threads *t, pid_t tid)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->t[i].tid == tid)
            return &t->t[i];
    return NULL;
}

/* Reads every live thread; a new one counts from its current run time at
 * the start of an interval, from zero when it appears during it. */
static void scan(struct zcq_threads *t, bool at_start)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/task", (int)t->pid);
    DIR *d = opendir(path);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        pid_t tid = (pid_t)atoi(e->d_name);
        uint64_t ns;
        if (tid <= 0 || !thread_run_ns(t->pid, tid, &ns))
            continue;
        struct zcq_thread *th = find(t, tid);
        if (!th) {
            if (t->n == ZCQ_THREADS_MAX)
                continue;
            th = &t->t[t->n++];
            th->tid = tid;
            th->name[0] = '\0';
            th->base_ns = at_start ? ns : 0;
        }
        /* A new thread names itself once it runs: until then it carries
         * the process's name, so that name is read again. */
        if (!th->name[0] || (tid != t->pid && strcmp(th->name, t->leader) == 0))
            thread_name(t->pid, tid, th->name, sizeof th->name);
        th->last_ns = ns;
    }
    closedir(d);
}

void zcq_threads_start(struct zcq_threads *t, pid_t pid)
{
    t->pid = pid;
    t->n = 0;
    thread_name(pid, pid, t->leader, sizeof t->leader);
    scan(t, true);
}

void zcq_threads_sample(struct zcq_threads *t) { scan(t, false); }

uint64_t zcq_threads_cpu(const struct zcq_threads *t, const char *prefix, uint64_t *max)
{
    uint64_t sum = 0, top = 0;
    for (size_t i = 0; i < t->n; i++) {
        const struct zcq_thread *th = &t->t[i];
        if (strncmp(th->name, prefix, strlen(prefix)) != 0)
            continue;
        uint64_t ns = th->last_ns - th->base_ns;
        sum += ns;
        top = ns > top ? ns : top;
    }
    if (max)
        *max = top;
    return sum;
}

uint64_t zcq_thread_cpu(const struct zcq_threads *t, pid_t tid)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->t[i].tid == tid)
            return t->t[i].last_ns - t->t[i].base_ns;
    return 0;
}
