#include "sink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dsa/error.h"
#include "owned_file.h"

#define OVERWRITE_KEY ",overwrite"
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
    size_t len = strlen(spec), key = strlen(OVERWRITE_KEY);
    if (strncmp(spec, "file:", 5) == 0) {
        const char *path = spec + 5;
        len -= 5;
        out->overwrite = len > key && strcmp(path + len - key, OVERWRITE_KEY) == 0;
        if (out->overwrite)
            len -= key;
        if (len && len < sizeof out->path) {
            out->kind = ZCB_SINK_FILE;
            memcpy(out->path, path, len);
            return 0;
        }
    }
    return zc_fail(EINVAL, "--sink: bad value '%s' (allowed: null, mem, file:PATH, file:PATH%s)", spec,
                   OVERWRITE_KEY);
}

uint64_t zcb_sink_file_bytes(uint64_t pages, uint64_t nonzero, uint64_t gran)
{
    return ZCB_OWNED_STAMP_BYTES + pages * sizeof(uint64_t) + nonzero * gran;
}

/* The owned-file request of a file sink, with the texts its messages use. */
struct file_request {
    struct zcb_owned_request r;
    char what[ZCB_PATH_MAX + 16], how[ZCB_PATH_MAX + 32];
};

static void file_request(const struct zcb_sink_spec *sp, struct file_request *fr)
{
    snprintf(fr->what, sizeof fr->what, "--sink file:%s", sp->path);
    snprintf(fr->how, sizeof fr->how, "--sink file:%s%s", sp->path, OVERWRITE_KEY);
    fr->r = (struct zcb_owned_request){sp->path, IMAGE_KIND, NULL, sp->overwrite, fr->what, fr->how};
}

int zcb_sink_preflight(const char *spec, uint64_t pass_bytes)
{
    struct zcb_sink_spec sp;
    int rc = zcb_sink_parse(spec, &sp);
    if (rc || sp.kind != ZCB_SINK_FILE)
        return rc;
    struct file_request fr;
    file_request(&sp, &fr);
    return zcb_owned_preflight(&fr.r, pass_bytes);
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
        struct file_request fr;
        struct zcb_owned_file f;
        file_request(&sp, &fr);
        rc = zcb_owned_open(&fr.r, &f);
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

int zcb_sink_emit(struct zcb_sink *s, uint64_t offset, const void *page, size_t gran, bool zero)
{
    uint64_t header = offset | (zero ? ZCB_SAVE_FLAG_ZERO : ZCB_SAVE_FLAG_PAGE);
    s->bytes += sizeof header + (zero ? 0 : gran);
    switch (s->kind) {
    case ZCB_SINK_NULL:
        return 0;
    case ZCB_SINK_MEM:
        ring_put(s, &header, sizeof header);
        if (!zero)
            ring_put(s, page, gran);
        return 0;
    case ZCB_SINK_FILE:
        if (s->n_iov + 2 > ZCB_SINK_IOV) {
            int rc = zcb_sink_flush(s);
            if (rc)
                return rc;
        }
        /* headers[] is indexed like iov[] so a header outlives its iovec. */
        s->headers[s->n_iov] = header;
        s->iov[s->n_iov] = (struct iovec){&s->headers[s->n_iov], sizeof header};
        s->n_iov++;
        if (!zero)
            s->iov[s->n_iov++] = (struct iovec){(void *)page, gran};
        return 0;
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
