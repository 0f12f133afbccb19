/* QEMU's own timing of a savevm's state save, from its trace events: QEMU
 * (built with the "log" trace backend, as Debian's is) logs
 * savevm_state_setup and savevm_state_cleanup with a timestamp into a file
 * (-trace, -msg timestamp=on, -D). Between the two it saves the VM's state:
 * the RAM save loop and the few device sections; outside them are the
 * monitor command, the snapshot's creation in the image and its flushes. */
#ifndef ZCQ_TRACE_H
#define ZCQ_TRACE_H

#include <sys/types.h>

/* The QEMU arguments that make it log the two events into path. */
#define ZCQ_TRACE_ARGS(path)                                                                     \
    "-trace", "savevm_state_setup", "-trace", "savevm_state_cleanup", "-msg", "timestamp=on", \
        "-D", (path)

struct zcq_trace {
    int fd;        /* the log QEMU writes, unlinked */
    off_t read_to; /* what earlier calls consumed */
};

/* Opens the log QEMU created at path (it is running) and unlinks it: QEMU
 * keeps writing into it, and nothing is left behind. -ENOENT naming what
 * QEMU needs when there is none. */
int zcq_trace_open(struct zcq_trace *t, const char *path);
/* The state save of the last savevm QEMU logged since the previous call,
 * in ms. -ENOENT, naming what QEMU needs, when it logged none. */
int zcq_trace_state_save_ms(struct zcq_trace *t, double *ms);
void zcq_trace_close(struct zcq_trace *t);

#endif
