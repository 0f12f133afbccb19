#include "sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsa/error.h"
#include "owned_file.h"

#define IMAGE_KIND "savevm-image"

int zcb_sink_parse(const char *spec, struct zcb_sink_spec *out)
{
    memset(out, 0, sizeof *out);
    if (strcmp(spec, "null") == 0)
        return 0;
    if (strcmp(spec, "mem") == 0) {
        out->kind = ZCB_SINK_MEM;
        return 0;
    }
    if (strncmp(spec, "file:", 5) == 0 &&
        zcb_owned_parse_path(spec + 5, out->path, sizeof out->path, &out->overwrite)) {
        out->kind = ZCB_SINK_FILE;
        return 0;
    }
    return zc_fail(EINVAL, "--sink: bad value '%s' (allowed: null, mem, file:PATH, file:PATH%s)", spec,
                   ZCB_OWNED_OVERWRITE_KEY);
}

uint64_t zcb_sink_file_bytes(uint64_t pages, uint64_t nonzero, uint64_t gran)
{
    return ZCB_OWNED_STAMP_BYTES + pages * sizeof(uint64_t) + (pages - nonzero) + nonzero * gran;
}

#define OPTION "--sink file:"

int zcb_sink_preflight(const char *spec, uint64_t pass_bytes)
{
    struct zcb_sink_spec sp;
    int rc = zcb_sink_parse(spec, &sp);
    if (rc || sp.kind != ZCB_SINK_FILE)
        return rc;
    struct zcb_owned_option o;
    zcb_owned_option(&o, OPTION, sp.path, IMAGE_KIND, sp.overwrite);
    return zcb_owned_preflight(&o.r, pass_bytes);
}

int zcb_sink_open(struct zcb_sink *s, const char *spec)
{
    struct zcb_sink_spec sp;
    memset(s, 0, sizeof *s);
    s->fd = -1;
    int rc = zcb_sink_parse(spec, &sp);
    if (rc)
        return rc;
    s->kind = sp.kind;
    if (sp.kind == ZCB_SINK_MEM) {
        s->ring = malloc(ZCB_SINK_RING_BYTES);
        return s->ring ? 0 : zc_fail(ENOMEM, "--sink mem: out of memory");
    }
    if (sp.kind == ZCB_SINK_FILE) {
        struct zcb_owned_option o;
        struct zcb_owned_file f;
        zcb_owned_option(&o, OPTION, sp.path, IMAGE_KIND, sp.overwrite);
        rc = zcb_owned_open(&o.r, &f);
        s->fd = f.fd;
        s->data_start = f.data_start;
    }
    return rc;
}

int zcb_sink_rewind(struct zcb_sink *s)
{
    s->bytes = 0;
    s->ring_pos = 0;
    s->n_iov = 0;
    s->buf_used = 0;
    off_t start = (off_t)s->data_start;
    if (s->kind == ZCB_SINK_FILE && (ftruncate(s->fd, start) != 0 || lseek(s->fd, start, SEEK_SET) != start))
        return zc_fail(errno, "--sink file: cannot truncate: %s", strerror(errno));
    return 0;
}

static void ring_put(struct zcb_sink *s, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len) {
        size_t room = ZCB_SINK_RING_BYTES - s->ring_pos, n = len < room ? len : room;
        memcpy(s->ring + s->ring_pos, p, n);
        s->ring_pos = (s->ring_pos + n) % ZCB_SINK_RING_BYTES;
        p += n;
        len -= n;
    }
}

int zcb_sink_flush(struct zcb_sink *s)
{
    if (s->kind != ZCB_SINK_FILE || !s->n_iov)
        return 0;
    struct iovec *iov = s->iov;
    int n = (int)s->n_iov;
    s->n_iov = 0;
    s->buf_used = 0;
    while (n > 0) {
        ssize_t w = writev(s->fd, iov, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return zc_fail(errno ? errno : EIO, "--sink file: write failed: %s", strerror(errno));
        while (n > 0 && (size_t)w >= iov->iov_len) {
            w -= (ssize_t)iov->iov_len;
            iov++;
            n--;
        }
        if (n > 0) {
            iov->iov_base = (char *)iov->iov_base + w;
            iov->iov_len -= (size_t)w;
        }
    }
    return 0;
}

/* One byte into the buffer, as QEMUFile's qemu_put_byte: the last iovec
 * grows while it ends where the buffer does; a full buffer or 64 iovecs are
 * written out. */
static int put_byte(struct zcb_sink *s, uint8_t byte)
{
    uint8_t *at = s->buf + s->buf_used++;
    *at = byte;
    struct iovec *last = s->n_iov ? &s->iov[s->n_iov - 1] : NULL;
    if (last && (uint8_t *)last->iov_base + last->iov_len == at)
        last->iov_len++;
    else
        s->iov[s->n_iov++] = (struct iovec){at, 1};
    return s->n_iov == ZCB_SINK_IOV || s->buf_used == sizeof s->buf ? zcb_sink_flush(s) : 0;
}

/* The header big-endian, a byte at a time, as qemu_put_be64 writes it. */
static int put_header(struct zcb_sink *s, uint64_t header)
{
    int rc = 0;
    for (int shift = 56; shift >= 0 && !rc; shift -= 8)
        rc = put_byte(s, (uint8_t)(header >> shift));
    return rc;
}

int zcb_sink_emit(struct zcb_sink *s, uint64_t offset, const void *page, size_t gran, bool zero)
{
    uint64_t header = offset | (zero ? ZCB_SAVE_FLAG_ZERO : ZCB_SAVE_FLAG_PAGE);
    static const uint8_t fill = 0;
    s->bytes += sizeof header + (zero ? sizeof fill : gran);
    switch (s->kind) {
    case ZCB_SINK_NULL:
        return 0;
    case ZCB_SINK_MEM:
        ring_put(s, &header, sizeof header);
        ring_put(s, zero ? &fill : page, zero ? sizeof fill : gran);
        return 0;
    case ZCB_SINK_FILE: {
        int rc = put_header(s, header);
        if (rc || zero)
            return rc ? rc : put_byte(s, fill);
        s->iov[s->n_iov++] = (struct iovec){(void *)page, gran};
        return s->n_iov == ZCB_SINK_IOV ? zcb_sink_flush(s) : 0;
    }
    }
    return 0;
}

void zcb_sink_close(struct zcb_sink *s)
{
    free(s->ring);
    if (s->fd >= 0)
        close(s->fd);
    memset(s, 0, sizeof *s);
    s->fd = -1;
}
