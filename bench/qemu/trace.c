#include "trace.h"

#include <errno.h>
#include <string.h>

#include "dsa/error.h"

/* "PID@SECONDS.MICROSECONDS:EVENT ..." */
static int parse_line(const char *line, double *seconds, char *event, size_t len)
{
    const char *at = strchr(line, '@'), *colon = at ? strchr(at, ':') : NULL;
    if (!colon || sscanf(at + 1, "%lf", seconds) != 1)
        return -1;
    size_t n = strcspn(colon + 1, " \n");
    if (n >= len)
        return -1;
    memcpy(event, colon + 1, n);
    event[n] = '\0';
    return 0;
}

int zcq_trace_state_save_ms(struct zcq_trace *t, double *ms)
{
    FILE *f = fopen(t->path, "r");
    if (!f || fseeko(f, t->read_to, SEEK_SET) != 0) {
        if (f)
            fclose(f);
        return zc_fail(ENOENT, "qemu: no trace log at %s: zcbench times QEMU's state save with its "
                               "savevm_state_setup/cleanup trace events (a QEMU built with the log "
                               "trace backend)", t->path);
    }
    char line[256], event[64];
    double setup = -1, cleanup = -1, s;
    while (fgets(line, sizeof line, f)) {
        if (parse_line(line, &s, event, sizeof event) != 0)
            continue;
        if (strcmp(event, "savevm_state_setup") == 0)
            setup = s, cleanup = -1;
        else if (strcmp(event, "savevm_state_cleanup") == 0 && setup >= 0)
            cleanup = s;
    }
    t->read_to = ftello(f);
    fclose(f);
    if (setup < 0 || cleanup < 0)
        return zc_fail(ENOENT, "qemu: %s holds no savevm_state_setup and savevm_state_cleanup trace "
                               "events of the last savevm (zcbench needs a QEMU built with the log "
                               "trace backend)", t->path);
    *ms = (cleanup - setup) * 1e3;
    return 0;
}
