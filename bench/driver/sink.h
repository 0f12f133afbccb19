/* Where savevm and migrate put the pages they "send": QEMU's stream format
 * in miniature, an 8-byte header (offset | flags, RAM_SAVE_FLAG_ZERO or
 * RAM_SAVE_FLAG_PAGE) followed by one fill byte (0) for a zero page or the
 * page itself. `file` writes the way QEMU's QEMUFile does: the header goes
 * big-endian a byte at a time (qemu_put_be64 is eight qemu_put_byte calls)
 * into a 32 KiB buffer, pages are referenced where they are (never copied),
 * and one writev goes out when 64 iovecs or the buffer are full. `mem`
 * copies into a bounded ring that is reused. */
#ifndef ZCB_SINK_H
#define ZCB_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#define ZCB_SAVE_FLAG_ZERO 0x02
#define ZCB_SAVE_FLAG_PAGE 0x08
#define ZCB_SINK_RING_BYTES (1u << 20)
#define ZCB_SINK_IOV 64              /* QEMUFile's MAX_IOV_SIZE */
#define ZCB_SINK_BUF_BYTES 32768     /* QEMUFile's IO_BUF_SIZE */

enum zcb_sink_kind { ZCB_SINK_NULL, ZCB_SINK_MEM, ZCB_SINK_FILE };

struct zcb_sink {
    enum zcb_sink_kind kind;
    int fd;
    uint8_t *ring;
    size_t ring_pos;
    uint64_t bytes;                  /* stream bytes emitted this pass */
    size_t n_iov;
    struct iovec iov[ZCB_SINK_IOV];
    size_t buf_used;                 /* file: headers and fill bytes since the last write */
    uint8_t buf[ZCB_SINK_BUF_BYTES];
};

/* "null", "mem" or "file:PATH" (created/truncated). */
int zcb_sink_open(struct zcb_sink *s, const char *spec);
/* Starts a pass (a file sink is truncated). */
int zcb_sink_rewind(struct zcb_sink *s);
int zcb_sink_emit(struct zcb_sink *s, uint64_t offset, const void *page, size_t gran, bool zero);
int zcb_sink_flush(struct zcb_sink *s);
void zcb_sink_close(struct zcb_sink *s);

#endif
