#include "dsa/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Per thread: backends and work queues are used from several threads, and
 * one thread's failure must not overwrite another's message. */
static _Thread_local char last_error[512];

const char *zc_last_error(void) { return last_error; }

void zc_clear_error(void) { last_error[0] = '\0'; }

/* Formatted apart and then copied: callers wrap the message below theirs
 * (zc_fail(rc, "%s (while ...)", zc_last_error())), and vsnprintf into the
 * buffer it reads from wrote over that message before reading it. */
int zc_fail(int err_no, const char *fmt, ...)
{
    char msg[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    memcpy(last_error, msg, sizeof msg);
    return -err_no;
}
