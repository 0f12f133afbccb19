#include "dsa/error.h"

#include <stdarg.h>
#include <stdio.h>

/* Per thread: backends and work queues are used from several threads, and
 * one thread's failure must not overwrite another's message. */
static _Thread_local char last_error[512];

const char *zc_last_error(void) { return last_error; }

void zc_clear_error(void) { last_error[0] = '\0'; }

int zc_fail(int err_no, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return -err_no;
}
