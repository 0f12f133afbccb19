#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "dsa/error.h"

#define NEEDS "zcbench times QEMU's state save with its savevm_state_setup/cleanup trace events: a " \
              "QEMU built with the log trace backend"

int zcq_trace_open(struct zcq_trace *t, const char *path)
{
    t->read_to = 0;
    t->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (t->fd < 0)
        return zc_fail(ENOENT, "qemu: QEMU made no trace log at %s (%s)", path, NEEDS);
    unlink(path);
    return 0;
}

void zcq_trace_close(struct zcq_trace *t)
{
    if (t->fd >= 0)
        close(t->fd);
    t->fd = -1;
}

/* "PID@SECONDS.MICROSECONDS:EVENT ..." (one line, NUL-terminated): the
 * event's time and name. */
static int parse_line(const char *line, double *seconds, char *event, size_t len)
{
    const char *at = strchr(line, '@'), *colon = at ? strchr(at, ':') : NULL;
    if (!colon || sscanf(at + 1, "%lf", seconds) != 1)
        return -1;
    size_t n = strcspn(colon + 1, " ");
    if (n >= len)
        return -1;
    memcpy(event, colon + 1, n);
    event[n] = '\0';
    return 0;
}

int zcq_trace_state_save_ms(struct zcq_trace *t, double *ms)
{
    char buf[4096], event[64];
    size_t held = 0;    /* bytes of a line not yet complete */
    off_t setup_at = -1; /* where the last setup's line starts */
    double setup = -1, cleanup = -1, s;
    ssize_t got;
    while ((got = pread(t->fd, buf + held, sizeof buf - held, t->read_to + (off_t)held)) > 0) {
        size_t end = held + (size_t)got, start = 0;
        for (char *nl; (nl = memchr(buf + start, '\n', end - start)); start = (size_t)(nl - buf) + 1) {
            *nl = '\0';
            if (parse_line(buf + start, &s, event, sizeof event) != 0)
                continue;
            if (strcmp(event, "savevm_state_setup") == 0)
                setup = s, cleanup = -1, setup_at = t->read_to + (off_t)start;
            else if (strcmp(event, "savevm_state_cleanup") == 0 && setup >= 0)
                cleanup = s;
        }
        t->read_to += (off_t)start;
        held = end - start;
        if (held == sizeof buf) /* a line longer than the buffer: not one of ours */
            t->read_to += (off_t)held, held = 0;
        else
            memmove(buf, buf + start, held);
    }
    if (setup >= 0 && cleanup < 0) /* a savevm still running: read it again next time */
        t->read_to = setup_at;
    if (setup < 0 || cleanup < 0)
        return zc_fail(ENOENT, "qemu: QEMU logged no savevm_state_setup and savevm_state_cleanup "
                               "trace events for the last savevm (%s)", NEEDS);
    *ms = (cleanup - setup) * 1e3;
    return 0;
}
