/* Where savevm and migrate put the pages they "send": QEMU's stream format
 * in miniature, an 8-byte header (offset | flags, RAM_SAVE_FLAG_ZERO or
 * RAM_SAVE_FLAG_PAGE) followed by the page for non-zero pages. Nothing copies
 * guest memory as a whole: `file` writes iovecs pointing into it, `mem`
 * copies into a bounded ring that is reused. A file is a file zcbench owns
 * (owned_file.h): it starts with the stamp "zcbench savevm-image", and an
 * existing file that does not is refused unless the spec ends in ",overwrite". */
#ifndef ZCB_SINK_H
#define ZCB_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "options.h"

#define ZCB_SAVE_FLAG_ZERO 0x02
#define ZCB_SAVE_FLAG_PAGE 0x08
#define ZCB_SINK_RING_BYTES (1u << 20)
#define ZCB_SINK_IOV 64

enum zcb_sink_kind { ZCB_SINK_NULL, ZCB_SINK_MEM, ZCB_SINK_FILE };

struct zcb_sink_spec {
    enum zcb_sink_kind kind;
    char path[ZCB_PATH_MAX]; /* file */
    bool overwrite;          /* file: take over a file zcbench did not create */
};

struct zcb_sink {
    enum zcb_sink_kind kind;
    int fd;
    uint64_t data_start;             /* file: the stream starts after the stamp */
    uint8_t *ring;
    size_t ring_pos;
    uint64_t bytes;                  /* stream bytes emitted this pass */
    size_t n_iov;
    struct iovec iov[ZCB_SINK_IOV];
    uint64_t headers[ZCB_SINK_IOV];
};

/* "null", "mem", "file:PATH" or "file:PATH,overwrite" (a PATH of its own
 * that ends in ",overwrite" cannot be named). -EINVAL naming the spec. */
int zcb_sink_parse(const char *spec, struct zcb_sink_spec *out);
/* Bytes a file sink holds after a pass over `pages` pages of `gran` bytes of
 * which `nonzero` are not zero: the stamp, a header per page, the non-zero
 * pages. Every pass truncates first, so this is also the file's peak size. */
uint64_t zcb_sink_file_bytes(uint64_t pages, uint64_t nonzero, uint64_t gran);
/* Before any work: a file sink's path may be written (the owned-file rule)
 * and `pass_bytes` fit on its file system. 0 for the other sinks. */
int zcb_sink_preflight(const char *spec, uint64_t pass_bytes);
/* Opens the sink; a file is created, or reused or taken over by the rule. */
int zcb_sink_open(struct zcb_sink *s, const char *spec);
/* Starts a pass (a file sink is truncated to its stamp). */
int zcb_sink_rewind(struct zcb_sink *s);
int zcb_sink_emit(struct zcb_sink *s, uint64_t offset, const void *page, size_t gran, bool zero);
int zcb_sink_flush(struct zcb_sink *s);
void zcb_sink_close(struct zcb_sink *s);

#endif
