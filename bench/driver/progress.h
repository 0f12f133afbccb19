/* Progress on stderr for runs longer than a few seconds: case i/n, elapsed,
 * an estimate of the time left. Silent for short runs. */
#ifndef ZCB_PROGRESS_H
#define ZCB_PROGRESS_H

#include <stdbool.h>
#include <stddef.h>

void zcb_progress_start(size_t n_cases, bool enabled);
void zcb_progress_case_done(size_t done, const char *key);
void zcb_progress_end(void);

#endif
