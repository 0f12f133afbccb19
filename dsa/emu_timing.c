/* The model's timing: a descriptor occupies its engine for bytes /
 * engine_gbps and the device for bytes / device_gbps (shared by every
 * engine of the WQ), then its record appears lat_ns later (the pipeline
 * latency does not occupy the engine). Fitted to published SPR numbers in
 * docs/PERFORMANCE.md; a projection, never a measurement. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>
#include <x86intrin.h>

#include "cpu/tsc.h"
#include "dsa/emu_internal.h"
#include "dsa/error.h"

struct zc_emu_clock {
    pthread_mutex_t lock;
    uint64_t device_free_ns;
    double engine_ns_per_byte, device_ns_per_byte, lat_ns;
};

int zc_emu_clock_new(const struct zc_emu_cfg *cfg, struct zc_emu_clock **out)
{
    struct zc_emu_clock *c = calloc(1, sizeof *c);
    if (!c)
        return zc_fail(ENOMEM, "emu: out of memory for the timing model");
    pthread_mutex_init(&c->lock, NULL);
    c->engine_ns_per_byte = cfg->engine_gbps > 0 ? 1.0 / cfg->engine_gbps : 0;
    c->device_ns_per_byte = cfg->device_gbps > 0 ? 1.0 / cfg->device_gbps : 0;
    c->lat_ns = (double)cfg->lat_ns;
    *out = c;
    return 0;
}

void zc_emu_clock_free(struct zc_emu_clock *c)
{
    if (!c)
        return;
    pthread_mutex_destroy(&c->lock);
    free(c);
}

uint64_t zc_emu_clock_complete(struct zc_emu_clock *c, uint64_t *engine_free_ns, uint64_t now_ns,
                               uint64_t bytes)
{
    uint64_t start = now_ns > *engine_free_ns ? now_ns : *engine_free_ns;
    uint64_t engine_done = start + (uint64_t)(c->engine_ns_per_byte * (double)bytes);
    *engine_free_ns = engine_done;
    pthread_mutex_lock(&c->lock);
    uint64_t dev_start = start > c->device_free_ns ? start : c->device_free_ns;
    c->device_free_ns = dev_start + (uint64_t)(c->device_ns_per_byte * (double)bytes);
    uint64_t device_done = c->device_free_ns;
    pthread_mutex_unlock(&c->lock);
    uint64_t done = engine_done > device_done ? engine_done : device_done;
    return done + (uint64_t)c->lat_ns;
}

/* Below this the wake-up from a sleep costs more than the wait itself. */
#define SPIN_BELOW_NS 20000u

void zc_emu_sleep_until(uint64_t deadline_ns)
{
    for (;;) {
        uint64_t now = zc_now_ns();
        if (now >= deadline_ns)
            return;
        if (deadline_ns - now > SPIN_BELOW_NS) {
            uint64_t wake = deadline_ns - SPIN_BELOW_NS / 2;
            struct timespec ts = {(time_t)(wake / 1000000000u), (long)(wake % 1000000000u)};
            clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
        } else {
            _mm_pause();
        }
    }
}
