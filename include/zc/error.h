/* <zc/error.h>: the readable message of the last libzc failure. */
#ifndef ZC_ERROR_H
#define ZC_ERROR_H

#ifdef __cplusplus
extern "C" {
#endif

/* One line (no trailing newline) describing the last failure of a libzc
 * call on this thread; "" if none. Valid until the next failing call. */
const char *zc_last_error(void);

#ifdef __cplusplus
}
#endif
#endif
