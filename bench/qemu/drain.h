/* The destination of a migration that keeps nothing: a unix socket that
 * accepts the main channel and every multifd channel and reads each to its
 * end, counting bytes. It runs in its own thread; its CPU time is zcbench's,
 * not QEMU's. */
#ifndef ZCQ_DRAIN_H
#define ZCQ_DRAIN_H

#include <stdint.h>

struct zcq_drain;

/* Listens at path (which must not exist; removed by close). */
int zcq_drain_open(struct zcq_drain **out, const char *path);
/* Expects one migration of `connections` channels from now on. */
void zcq_drain_arm(struct zcq_drain *d, unsigned connections);
/* Waits until every expected channel was accepted and read to its end;
 * the bytes read in *bytes. */
int zcq_drain_wait(struct zcq_drain *d, int timeout_ms, uint64_t *bytes);
void zcq_drain_close(struct zcq_drain *d);

#endif
