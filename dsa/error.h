/* Internal: set the message zc_last_error() returns (<zc/error.h>). */
#ifndef ZC_DSA_ERROR_H
#define ZC_DSA_ERROR_H

#include <zc/error.h>

/* printf-style; always returns -err_no (pass a positive errno) so callers
 * can write `return zc_fail(EINVAL, "...")`. */
int zc_fail(int err_no, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void zc_clear_error(void);

#endif
