/* Host metadata: the sidecar RUN_ID.meta.json beside the results CSV. */
#ifndef ZCB_META_H
#define ZCB_META_H

#include <stdbool.h>
#include <stddef.h>

/* The work queues rows were measured on: one entry per distinct WQ list,
 * modes, submission paths and device label. */
#define ZCB_WQS_USED_MAX 64
struct zcb_wq_used {
    char wq[256], mode[256], path[256], device[16];
};
struct zcb_wqs_used {
    size_t n;
    bool complete; /* the run has ended: the list is final */
    struct zcb_wq_used v[ZCB_WQS_USED_MAX];
};
void zcb_wqs_used_add(struct zcb_wqs_used *u, const char *wq, const char *mode, const char *path,
                      const char *device);

/* "YYYYmmddTHHMMSSZ-HOST-PID". */
void zcb_make_run_id(char *buf, size_t len);
/* Writes DIR/RUN_ID.meta.json atomically (tmp + rename): the host, the DSA
 * work queues the kernel lists, the automatic WQ choices of the run and
 * the WQs used so far (written again when the run ends). */
int zcb_meta_write(const char *dir, const char *run_id, const char *command_line,
                   const struct zcb_wqs_used *used);

#endif
