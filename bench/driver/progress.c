#include "progress.h"

#include <stdint.h>
#include <stdio.h>

#include "cpu/tsc.h"

#define QUIET_NS 3000000000ull /* say nothing during the first 3 s */
#define EVERY_NS 1000000000ull

static struct {
    bool enabled, printed;
    size_t n;
    uint64_t start, last;
} pr;

void zcb_progress_start(size_t n_cases, bool enabled)
{
    pr.enabled = enabled;
    pr.printed = false;
    pr.n = n_cases;
    pr.start = pr.last = zc_now_ns();
}

void zcb_progress_case_done(size_t done, const char *key)
{
    uint64_t now = zc_now_ns();
    if (!pr.enabled || now - pr.start < QUIET_NS || (now - pr.last < EVERY_NS && done < pr.n))
        return;
    pr.last = now;
    pr.printed = true;
    double elapsed = (double)(now - pr.start) * 1e-9;
    double left = done ? elapsed / (double)done * (double)(pr.n - done) : 0;
    fprintf(stderr, "zcbench: case %zu/%zu  elapsed %.0f s  about %.0f s left  (%s)\n", done, pr.n,
            elapsed, left, key);
}

void zcb_progress_end(void)
{
    if (pr.enabled && pr.printed)
        fprintf(stderr, "zcbench: %zu cases in %.1f s\n", pr.n, (double)(zc_now_ns() - pr.start) * 1e-9);
}
