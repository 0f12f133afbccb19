/* Host metadata: the sidecar RUN_ID.meta.json beside the results CSV. */
#ifndef ZCB_META_H
#define ZCB_META_H

#include <stddef.h>

/* "YYYYmmddTHHMMSSZ-HOST-PID". */
void zcb_make_run_id(char *buf, size_t len);
/* Writes DIR/RUN_ID.meta.json atomically (tmp + rename). */
int zcb_meta_write(const char *dir, const char *run_id, const char *command_line);

#endif
