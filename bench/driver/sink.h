/* Where savevm and migrate put the pages they "send": QEMU's stream format
 * in miniature, an 8-byte header (offset | flags, RAM_SAVE_FLAG_ZERO or
 * RAM_SAVE_FLAG_PAGE) followed by one fill byte (0) for a zero page or the
 * page itself. `file` writes the way QEMU's QEMUFile does: the header goes
 * big-endian a byte at a time (qemu_put_be64 is eight qemu_put_byte calls)
 * into a 32 KiB buffer, pages are referenced where they are (never copied),
 * and one writev goes out when 64 iovecs or the buffer are full. `mem`
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
#define ZCB_SINK_IOV 64              /* QEMUFile's MAX_IOV_SIZE */
#define ZCB_SINK_BUF_BYTES 32768     /* QEMUFile's IO_BUF_SIZE */

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
    size_t buf_used;                 /* file: headers and fill bytes since the last write */
    uint8_t buf[ZCB_SINK_BUF_BYTES];
};

/* "null", "mem", "file:PATH" or "file:PATH,overwrite" (a PATH of its own
 * that ends in ",overwrite" cannot be named). -EINVAL naming the spec. */
int zcb_sink_parse(const char *spec, struct zcb_sink_spec *out);
/* Bytes a file sink holds after a pass over `pages` pages of `gran` bytes of
 * which `nonzero` are not zero: the stamp, a header per page, a fill byte
 * per zero page, the non-zero pages. Every pass truncates first, so this is also the file's peak size. */
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
