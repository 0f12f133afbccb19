/* Where savevm and migrate put the pages they "send": QEMU's stream format
 * in miniature, an 8-byte header (offset | flags, RAM_SAVE_FLAG_ZERO or
 * RAM_SAVE_FLAG_PAGE) followed by the page for non-zero pages. Nothing copies
 * guest memory as a whole: `file` writes iovecs pointing into it, `mem`
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
#define ZCB_SINK_IOV 64

enum zcb_sink_kind { ZCB_SINK_NULL, ZCB_SINK_MEM, ZCB_SINK_FILE };

struct zcb_sink {
    enum zcb_sink_kind kind;
    int fd;
    uint8_t *ring;
    size_t ring_pos;
    uint64_t bytes;                  /* stream bytes emitted this pass */
    size_t n_iov;
    struct iovec iov[ZCB_SINK_IOV];
    uint64_t headers[ZCB_SINK_IOV];
};

/* "null", "mem" or "file:PATH" (created/truncated). */
int zcb_sink_open(struct zcb_sink *s, const char *spec);
/* Starts a pass (a file sink is truncated). */
int zcb_sink_rewind(struct zcb_sink *s);
int zcb_sink_emit(struct zcb_sink *s, uint64_t offset, const void *page, size_t gran, bool zero);
int zcb_sink_flush(struct zcb_sink *s);
void zcb_sink_close(struct zcb_sink *s);

#endif
